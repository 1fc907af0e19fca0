import Foundation
import LatentTensor

// The pieces of the importance-weighted bound (IWAE, Burda et al. 2015).

extension Variable {
    /// Each row repeated `k` times in a row: [n, d] → [n·k, d]. Pullback: each group of k rows summed.
    public func repeatRows(_ k: Int) -> Variable {
        precondition(shape.rank == 2 && k >= 1, "repeatRows needs a rank-2 value and k ≥ 1")
        let n = shape[0], d = shape[1]
        let out = Tensor(uninitialized: [n * k, d])
        for i in 0..<n { for t in 0..<k { (out.data + (i * k + t) * d).update(from: value.data + i * d, count: d) } }
        return Variable(out, parents: [self]) { [self] g in
            let s = Tensor(zeros: [n, d])
            for i in 0..<n {
                for t in 0..<k {
                    let src = g.data + (i * k + t) * d, dst = s.data + i * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
            accumulate(s)
        }
    }

    /// The negative importance-weighted bound, summed over the n images of a batch (Bernoulli likelihood):
    ///
    ///     −Σ_i [ log (1/k) Σ_t w_it ],   log w = log p(x|z) + log p(z) − log q(z|x)
    ///           = −BCE(logits, x) − ½‖z‖² + ½‖ε‖² + ½ Σ logvar     (the log 2π terms cancel)
    ///
    /// with rows i·k + t of `logits`, `z`, `noise` and `logVariance` the k samples of image i, and `targets`
    /// [n, features]. Computed with a stable log-sum-exp; the pullback weights each sample's gradient by
    /// its normalised importance weight w̃ (softmax over the k samples).
    ///
    /// `groups` m > 1 is Rainforth et al.'s (2018) MIWAE: each image has m·k rows, (i·m + g)·k + t, and the bound
    /// is the mean over its m groups of each group's k-sample bound. `elboWeight` β > 0 is their CIWAE:
    /// (1 − β)·(k-sample bound) + β·(mean over the k samples of log w, the ELBO's estimate); a sample's gradient
    /// weight is then ((1 − β)·w̃ + β/k)/m.
    ///
    /// `extraLogWeight` [rows, 1], if given, is added to each sample's log w (a second stochastic layer's terms,
    /// `TwoLayerAutoencoder`), and receives its gradient.
    ///
    /// With `doublyReparameterised` (DReG, Tucker et al. 2019; β = 0 only) the encoder's gradient is the doubly
    /// reparameterised one, Σ_t w̃_t² ∂log w_t/∂z_t ∂z_t/∂φ with q's parameters held: `z`'s gradient
    /// is then w̃²·(z − ε/σ)/m and none reaches `logVariance` directly. The weights w̃ are written to the
    /// box, and the decoder's input must be `z.scalingRowGradients(by:)` the same box, so that the
    /// gradient the decoder passes back to z carries w̃ once more while the decoder's own parameters
    /// get the bound's gradient (weight w̃/m).
    public static func negativeImportanceWeightedBound(
        logits: Variable, targets x: Tensor, z: Variable, noise eps: Tensor,
        logVariance: Variable, samples k: Int, groups m: Int = 1, elboWeight beta: Float = 0,
        doublyReparameterised dreg: RowGradientScales? = nil, extraLogWeight extra: Variable? = nil
    ) -> Variable {
        let rows = logits.shape[0], f = logits.shape[1], d = z.shape[1], n = x.shape[0]
        precondition(
            rows == n * m * k && x.shape[1] == f && z.shape[0] == rows && eps.shape == z.shape
                && logVariance.shape == z.shape && m >= 1 && beta >= 0 && beta <= 1 && (dreg == nil || beta == 0)
                && (extra == nil || (extra!.shape == [rows, 1] && dreg == nil)),
            "importance-weighted bound: logits \(logits.shape), targets \(x.shape), z \(z.shape), k \(k), m \(m), "
                + "β \(beta)")
        // Per sample: log w = −BCE(logits, x) + log p(z) − log q(z|x), and the BCE's gradient σ(l) − t.
        let sigmoidMinusT = Tensor(uninitialized: logits.shape)
        var logW = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            let bce = VectorMath.binaryCrossEntropyWithLogits(
                logits.value.data + r * f, targets: x.data + (r / (m * k)) * f, gradient: sigmoidMinusT.data + r * f,
                f)
            let prior = Gaussian.logPriorMinusPosterior(
                z: z.value.data + r * d, noise: eps.data + r * d, logVariance: logVariance.value.data + r * d, d)
            logW[r] = -bce + Double(prior) + Double(extra?.value.data[r] ?? 0)
        }
        // Per group of k: log-sum-exp over its samples, the softmax weights w̃, and each sample's gradient weight.
        var normalised = [Float](repeating: 0, count: rows), weights = [Float](repeating: 0, count: rows)
        var total = 0.0
        let b = Double(beta), perGroup = 1 / Double(m)
        for group in 0..<(n * m) {
            let first = group * k
            var top = -Double.infinity, mean = 0.0
            for t in 0..<k {
                top = max(top, logW[first + t])
                mean += logW[first + t] / Double(k)
            }
            var s = 0.0
            for t in 0..<k { s += Foundation.exp(logW[first + t] - top) }
            for t in 0..<k {
                let w = Foundation.exp(logW[first + t] - top) / s
                normalised[first + t] = Float(w)
                weights[first + t] = Float(((1 - b) * w + b / Double(k)) * perGroup)
            }
            total -= ((1 - b) * (top + Foundation.log(s) - Foundation.log(Double(k))) + b * mean) * perGroup
        }
        dreg?.values = normalised
        return Variable(Tensor(scalar: Float(total)), parents: [logits, z, logVariance] + (extra.map { [$0] } ?? [])) {
            g in
            let scale = g.scalar
            if let extra, extra.requiresGrad {
                extra.accumulate(Tensor(weights.map { -scale * $0 }, shape: [rows, 1]))
            }
            // ∂(−Σ bound)/∂log w_r = −(its gradient weight); ∂log w/∂l = t − σ(l);
            // ∂log w/∂z = −z; ∂log w/∂logvar = ½.
            if logits.requiresGrad {
                let dl = Tensor(uninitialized: logits.shape)
                for r in 0..<rows {
                    let w = scale * weights[r]
                    for j in 0..<f { dl.data[r * f + j] = w * sigmoidMinusT.data[r * f + j] }
                }
                logits.accumulate(dl)
            }
            if z.requiresGrad, dreg != nil {
                // ∂log w/∂z with q's parameters held: −z + (z − μ)/σ² = −z + ε/σ; weight w̃²/m.
                let dz = Tensor(uninitialized: z.shape)
                let lv = logVariance.value.data, zv = z.value.data
                for r in 0..<rows {
                    let w = scale * weights[r] * normalised[r]
                    for j in 0..<d {
                        let i = r * d + j
                        dz.data[i] = w * (zv[i] - eps.data[i] * Foundation.exp(-0.5 * lv[i]))
                    }
                }
                z.accumulate(dz)
            } else if z.requiresGrad {
                let dz = Tensor(uninitialized: z.shape)
                for r in 0..<rows {
                    let w = scale * weights[r]
                    for j in 0..<d { dz.data[r * d + j] = w * z.value.data[r * d + j] }
                }
                z.accumulate(dz)
            }
            if logVariance.requiresGrad, dreg == nil {
                let dv = Tensor(uninitialized: logVariance.shape)
                for r in 0..<rows {
                    let w = -0.5 * scale * weights[r]
                    for j in 0..<d { dv.data[r * d + j] = w }
                }
                logVariance.accumulate(dv)
            }
        }
    }
}

/// Per-row gradient scales that one op's forward pass writes and another's pullback reads: the normalised
/// importance weights of `Variable.negativeImportanceWeightedBound`, applied by `Variable.scalingRowGradients(by:)`.
public final class RowGradientScales: @unchecked Sendable {
    /// One scale per row (empty until the writing op has run).
    public internal(set) var values: [Float] = []

    /// An empty box.
    public init() {}
}

extension Variable {
    /// The same values, with row r of the gradient passed back multiplied by `scales.values[r]` (set by a later
    /// op's forward pass, before any pullback runs). Exact only where rows do not interact downstream (no batch
    /// statistics).
    public func scalingRowGradients(by scales: RowGradientScales) -> Variable {
        precondition(shape.rank == 2, "scalingRowGradients needs a rank-2 value, got \(shape)")
        let rows = shape[0], d = shape[1]
        return Variable(value, parents: [self]) { [self] g in
            precondition(
                scales.values.count == rows, "scalingRowGradients: \(scales.values.count) scales, \(rows) rows")
            let out = Tensor(uninitialized: g.shape)
            for r in 0..<rows {
                let s = scales.values[r]
                for j in 0..<d { out.data[r * d + j] = s * g.data[r * d + j] }
            }
            accumulate(out)
        }
    }
}
