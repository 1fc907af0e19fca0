import Foundation
import LatentTensor

// The pieces of a learned mixture prior (the VampPrior, Tomczak & Welling 2018): pseudo-inputs and the log-density
// of an equal-weight mixture of diagonal Gaussians.

extension Variable {
    /// Pseudo-inputs as Pythae's VampPrior makes them, hardtanh₀¹(Linear(C → D) applied to the C × C identity):
    /// row c is clamp(weight[:, c] + bias, 0, 1), [C, D] from `weight` [D, C] (PyTorch's layout) and `bias` [D].
    /// Computed as the transpose it is, not as a product with the identity; the gradient passes where the clamp
    /// is not active.
    public static func pseudoInputs(weight: Variable, bias: Variable) -> Variable {
        let d = weight.shape[0], c = weight.shape[1]
        precondition(
            weight.shape.rank == 2 && bias.shape == [d], "pseudoInputs: weight \(weight.shape), bias \(bias.shape)")
        let out = Tensor(uninitialized: [c, d])
        let w = weight.value.data, b = bias.value.data
        for i in 0..<d {
            for k in 0..<c { out.data[k * d + i] = Swift.min(1, Swift.max(0, w[i * c + k] + b[i])) }
        }
        return Variable(out, parents: [weight, bias]) { g in
            let dw = Tensor(zeros: [d, c]), db = Tensor(zeros: [d])
            for i in 0..<d {
                var s: Float = 0
                for k in 0..<c {
                    let pre = w[i * c + k] + b[i]
                    let gi = pre > 0 && pre < 1 ? g.data[k * d + i] : 0
                    dw.data[i * c + k] = gi
                    s += gi
                }
                db.data[i] = s
            }
            if weight.requiresGrad { weight.accumulate(dw) }
            if bias.requiresGrad { bias.accumulate(db) }
        }
    }

    /// Σ_r log p(z_r) for the rows of `z` [n, d] under the equal-weight mixture of the C diagonal Gaussians with
    /// `means` and `logVariances` [C, d]:
    ///
    ///     log p(z) = log (1/C) Σ_c exp( −½ Σ_j [ logvar_cj + (z_j − μ_cj)² / σ²_cj ] )
    ///
    /// without the −(d/2)·log 2π every Gaussian density of the family's bounds leaves out (they cancel against
    /// log q). The C × n exponents are two matrix products (z²·(1/σ²)ᵀ and z·(μ/σ²)ᵀ); the pullback weighs
    /// each component by its responsibility softmax_c, again as matrix products. (The per-row log-densities, without
    /// a graph: `MixtureParts.responsibilities`.)
    public static func logMixtureDensity(_ z: Variable, means: Variable, logVariances: Variable) -> Variable {
        let n = z.shape[0], d = z.shape[1], c = means.shape[0]
        precondition(
            z.shape.rank == 2 && means.shape == [c, d] && logVariances.shape == [c, d],
            "logMixtureDensity: z \(z.shape), means \(means.shape), log-variances \(logVariances.shape)")
        let parts = MixtureParts(means: means.value, logVariances: logVariances.value)
        let (responsibility, values) = parts.responsibilities(z.value)
        let total = values.reduce(0, +)
        return Variable(Tensor(scalar: Float(total)), parents: [z, means, logVariances]) { g in
            let s = g.scalar
            let zv = z.value
            // Rᵀz and Rᵀz² [C, d], and N_c = Σ_r R_rc.
            let rz = Tensor.matmul(responsibility, transposeA: true, zv)
            let z2 = zv.map(.square)
            let rz2 = Tensor.matmul(responsibility, transposeA: true, z2)
            var counts = [Float](repeating: 0, count: c)
            for r in 0..<n { for k in 0..<c { counts[k] += responsibility.data[r * c + k] } }
            if z.requiresGrad {
                // ∂/∂z_rj = Σ_c R_rc (μ_cj − z_rj)/σ²_cj = [R·(μ/σ²)]_rj − z_rj·[R·(1/σ²)]_rj.
                let a = Tensor.matmul(responsibility, parts.precisionMeans)
                let b = Tensor.matmul(responsibility, parts.precisions)
                let dz = Tensor(uninitialized: zv.shape)
                for i in 0..<(n * d) { dz.data[i] = s * (a.data[i] - zv.data[i] * b.data[i]) }
                z.accumulate(dz)
            }
            let mu = means.value.data, p = parts.precisions.data
            if means.requiresGrad {
                // ∂/∂μ_cj = ([Rᵀz]_cj − μ_cj N_c)/σ²_cj.
                let dm = Tensor(uninitialized: [c, d])
                for k in 0..<c {
                    for j in 0..<d {
                        let i = k * d + j
                        dm.data[i] = s * (rz.data[i] - mu[i] * counts[k]) * p[i]
                    }
                }
                means.accumulate(dm)
            }
            if logVariances.requiresGrad {
                // ∂/∂logvar_cj = −½N_c + ½([Rᵀz²]_cj − 2μ_cj[Rᵀz]_cj + μ²_cj N_c)/σ²_cj.
                let dv = Tensor(uninitialized: [c, d])
                for k in 0..<c {
                    for j in 0..<d {
                        let i = k * d + j
                        let spread = rz2.data[i] - 2 * mu[i] * rz.data[i] + mu[i] * mu[i] * counts[k]
                        dv.data[i] = s * 0.5 * (spread * p[i] - counts[k])
                    }
                }
                logVariances.accumulate(dv)
            }
        }
    }
}

/// An equal-weight mixture of diagonal Gaussians in the form its log-densities are computed in: precisions 1/σ²,
/// precision-weighted means μ/σ², and each component's constant −½ Σ_j (logvar_j + μ_j²/σ²_j) − log C.
public struct MixtureParts {
    /// 1/σ² [C, d].
    public let precisions: Tensor
    /// μ/σ² [C, d].
    public let precisionMeans: Tensor
    /// The per-component constants [C].
    public let constants: [Float]

    /// The parts of the mixture with `means` and `logVariances` [C, d].
    public init(means: Tensor, logVariances: Tensor) {
        let c = means.shape[0], d = means.shape[1]
        precisions = logVariances.scaled(by: -1)
        VectorMath.exp(precisions.data, precisions.data, precisions.count)
        precisionMeans = Tensor(uninitialized: [c, d])
        var constants = [Float](repeating: -Float(Foundation.log(Double(c))), count: c)
        for k in 0..<c {
            var s: Float = 0
            for j in 0..<d {
                let i = k * d + j
                precisionMeans.data[i] = means.data[i] * precisions.data[i]
                s += logVariances.data[i] + means.data[i] * precisionMeans.data[i]
            }
            constants[k] -= 0.5 * s
        }
        self.constants = constants
    }

    /// For each row of `z` [n, d]: the responsibilities [n, C] (softmax over the components) and log p(z_r).
    public func responsibilities(_ z: Tensor) -> (Tensor, [Double]) {
        let n = z.shape[0], c = precisions.shape[0]
        // exponent_rc = −½ z²·(1/σ²)_c + z·(μ/σ²)_c + constant_c.
        let e = Tensor.matmul(z, precisionMeans, transposeB: true)
        Tensor.gemm(z.map(.square), precisions, transposeB: true, into: e, alpha: -0.5, beta: 1)
        var values = [Double](repeating: 0, count: n)
        for r in 0..<n {
            let row = e.data + r * c
            var top = -Float.infinity
            for k in 0..<c {
                row[k] += constants[k]
                top = Swift.max(top, row[k])
            }
            for k in 0..<c { row[k] -= top }
            VectorMath.exp(row, row, c)  // SLEEF, vectorised: n·C exponentials per call
            var s = 0.0
            for k in 0..<c { s += Double(row[k]) }
            let scale = Float(1 / s)
            for k in 0..<c { row[k] *= scale }
            values[r] = Double(top) + Foundation.log(s)
        }
        return (e, values)
    }
}
