import Foundation
import LatentTensor

extension Variable {
    /// DIP-VAE's penalty (Kumar et al. 2018) on the covariance C of a batch's codes:
    /// λ_od·Σ_{a≠b} C_ab² + λ_d·Σ_a (C_aa − 1)², with C the covariance of the posterior means (DIP-VAE-I)
    /// or,
    /// `withVariances`, of the codes themselves: that plus the mean posterior variance on the diagonal (DIP-VAE-II).
    /// `mean` and `logVariance` are [n, d]; covariances divide by n.
    public static func decorrelationPenalty(
        mean: Variable, logVariance: Variable, withVariances: Bool, offDiagonal: Float, diagonal: Float
    ) -> Variable {
        let n = mean.shape[0], d = mean.shape[1]
        precondition(
            mean.shape.rank == 2 && logVariance.shape == mean.shape, "DIP: \(mean.shape), \(logVariance.shape)")
        // Centred means [n, d] and the covariance [d, d], in double.
        var average = [Double](repeating: 0, count: d)
        for i in 0..<n { for a in 0..<d { average[a] += Double(mean.value.data[i * d + a]) / Double(n) } }
        let centred = Tensor(uninitialized: [n, d])
        for i in 0..<n { for a in 0..<d { centred.data[i * d + a] = mean.value.data[i * d + a] - Float(average[a]) } }
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            for a in 0..<d {
                let x = Double(centred.data[i * d + a])
                for b in 0..<d { c[a * d + b] += x * Double(centred.data[i * d + b]) / Double(n) }
            }
        }
        if withVariances {
            for i in 0..<n {
                for a in 0..<d { c[a * d + a] += Foundation.exp(Double(logVariance.value.data[i * d + a])) / Double(n) }
            }
        }
        // The penalty and its gradient with respect to C (symmetric).
        var penalty = 0.0
        var g = [Float](repeating: 0, count: d * d)
        for a in 0..<d {
            for b in 0..<d {
                if a == b {
                    penalty += Double(diagonal) * (c[a * d + a] - 1) * (c[a * d + a] - 1)
                    g[a * d + a] = Float(2 * Double(diagonal) * (c[a * d + a] - 1))
                } else {
                    penalty += Double(offDiagonal) * c[a * d + b] * c[a * d + b]
                    g[a * d + b] = Float(2 * Double(offDiagonal) * c[a * d + b])
                }
            }
        }
        let parents = withVariances ? [mean, logVariance] : [mean]
        return Variable(Tensor(scalar: Float(penalty)), parents: parents) { up in
            let s = up.scalar
            // ∂/∂μ = (2/n)·(μ − μ̄)·G (the centring's own term vanishes: the centred rows sum to 0).
            let gm = Tensor(zeros: mean.shape)
            for i in 0..<n {
                for a in 0..<d {
                    var v: Float = 0
                    for b in 0..<d { v += centred.data[i * d + b] * g[b * d + a] }
                    gm.data[i * d + a] = 2 * s * v / Float(n)
                }
            }
            mean.accumulate(gm)
            guard withVariances else { return }
            // ∂/∂ log σ²_ia = G_aa·σ²_ia / n.
            let gv = Tensor(uninitialized: logVariance.shape)
            for i in 0..<n {
                for a in 0..<d {
                    gv.data[i * d + a] = s * g[a * d + a] * VectorMath.exp(logVariance.value.data[i * d + a]) / Float(n)
                }
            }
            logVariance.accumulate(gv)
        }
    }
}
