import Foundation
import LatentTensor

/// How a loss reduces its per-element terms (PyTorch's `reduction`).
public enum Reduction: String, Sendable, Codable {
    /// Sum over all elements.
    case sum
    /// Mean over all elements.
    case mean
}

// Fused ops, each justified by stability or speed: the forward pass computes the gradient's ingredients
// while the inputs are in cache, and the pullback is one scaled pass.

extension Variable {
    /// Binary cross-entropy between Bernoulli(sigmoid(logits)) and targets in [0, 1], in the stable form
    /// max(x, 0) − x·t + log(1 + e^(−|x|)) (never exp of a large positive number, never log 0).
    /// Gradient: sigmoid(x) − t, computed in the forward pass from the same e^(−|x|).
    public static func binaryCrossEntropyWithLogits(
        _ logits: Variable, targets: Tensor,
        reduction: Reduction = .mean
    ) -> Variable {
        precondition(logits.shape == targets.shape, "BCE logits \(logits.shape) vs targets \(targets.shape)")
        let n = logits.value.count
        let grad = logits.requiresGrad ? Tensor(uninitialized: logits.shape) : nil
        var total = VectorMath.binaryCrossEntropyWithLogits(
            logits.value.data, targets: targets.data, gradient: grad?.data, n)
        let scale: Float = reduction == .mean ? 1 / Float(n) : 1
        if reduction == .mean { total /= Double(n) }
        return Variable(Tensor(scalar: Float(total)), parents: [logits]) { g in
            guard let grad else { return }
            grad.scale(by: g.scalar * scale)
            logits.accumulate(grad)
        }
    }

    /// Squared error (pred − target)², reduced.
    public static func meanSquaredError(_ pred: Variable, targets: Tensor, reduction: Reduction = .mean) -> Variable {
        precondition(pred.shape == targets.shape, "MSE prediction \(pred.shape) vs targets \(targets.shape)")
        let n = pred.value.count
        let diff = Tensor(uninitialized: pred.shape)
        var total = 0.0
        for i in 0..<n {
            let d = pred.value.data[i] - targets.data[i]
            diff.data[i] = d
            total += Double(d * d)
        }
        let scale: Float = reduction == .mean ? 1 / Float(n) : 1
        return Variable(Tensor(scalar: Float(total) * scale), parents: [pred]) { g in
            diff.scale(by: 2 * g.scalar * scale)
            pred.accumulate(diff)
        }
    }

    /// KL( N(mu, exp(logVar)) ‖ N(0, I) ) = −½ Σ (1 + logVar − mu² − exp(logVar)) (Kingma & Welling 2014,
    /// appendix B), reduced over all elements. Gradients: d/dmu = mu, d/dlogVar = ½(exp(logVar) − 1).
    public static func gaussianKLToStandardNormal(
        mean mu: Variable, logVariance logVar: Variable,
        reduction: Reduction = .sum
    ) -> Variable {
        precondition(mu.shape == logVar.shape, "KL mean \(mu.shape) vs log-variance \(logVar.shape)")
        let n = mu.value.count
        let v = Tensor(uninitialized: logVar.shape)
        let total = Gaussian.klToStandardNormal(
            mean: mu.value.data, logVariance: logVar.value.data, variance: v.data, n)
        let scale: Float = reduction == .mean ? 1 / Float(n) : 1
        return Variable(Tensor(scalar: Float(total) * scale), parents: [mu, logVar]) { g in
            let s = g.scalar * scale
            if mu.requiresGrad { mu.accumulate(mu.value.scaled(by: s)) }
            if logVar.requiresGrad {
                for i in 0..<n { v.data[i] = 0.5 * s * (v.data[i] - 1) }
                logVar.accumulate(v)
            }
        }
    }

    /// KL to N(0, I) with "free bits" (Kingma et al. 2016): each latent dimension's KL, averaged over the n
    /// rows of the batch, counts as at least `lambda` nats, so dimensions under the floor get no pressure to
    /// collapse. Returns n · Σ_d max(λ, KL_d) (summed over the batch like the plain KL). Gradient: the plain
    /// KL's for dimensions above the floor, zero for the others.
    public static func gaussianKLFreeBits(mean mu: Variable, logVariance logVar: Variable, lambda: Float) -> Variable {
        precondition(
            mu.shape == logVar.shape && mu.shape.rank == 2, "KL mean \(mu.shape) vs log-variance \(logVar.shape)")
        let n = mu.shape[0], d = mu.shape[1]
        let v = logVar.value.map(.exp)
        var perDim = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let m = mu.value.data[i * d + j], lv = logVar.value.data[i * d + j]
                perDim[j] += Double(-0.5 * (1 + lv - m * m - v.data[i * d + j]))
            }
        }
        let active = perDim.map { $0 / Double(n) > Double(lambda) }
        let total = zip(perDim, active).reduce(0.0) { $0 + ($1.1 ? $1.0 : Double(lambda) * Double(n)) }
        return Variable(Tensor(scalar: Float(total)), parents: [mu, logVar]) { g in
            let s = g.scalar
            if mu.requiresGrad {
                let dm = Tensor(uninitialized: mu.shape)
                for i in 0..<n { for j in 0..<d { dm.data[i * d + j] = active[j] ? s * mu.value.data[i * d + j] : 0 } }
                mu.accumulate(dm)
            }
            if logVar.requiresGrad {
                let dv = Tensor(uninitialized: logVar.shape)
                for i in 0..<n {
                    for j in 0..<d { dv.data[i * d + j] = active[j] ? 0.5 * s * (v.data[i * d + j] - 1) : 0 }
                }
                logVar.accumulate(dv)
            }
        }
    }

    /// The reparameterisation trick: z = mu + exp(logVar / 2) · eps, with eps ~ N(0, I) given, so the
    /// sample is differentiable in mu and logVar. dz/dmu = 1, dz/dlogVar = ½ · std · eps.
    public static func reparameterize(mean mu: Variable, logVariance logVar: Variable, noise eps: Tensor) -> Variable {
        precondition(
            mu.shape == logVar.shape && mu.shape == eps.shape,
            "reparameterize: mean \(mu.shape), log-variance \(logVar.shape), noise \(eps.shape)")
        let n = mu.value.count
        let stdEps = Tensor(uninitialized: mu.shape), z = Tensor(uninitialized: mu.shape)
        Gaussian.reparameterize(
            mean: mu.value.data, logVariance: logVar.value.data, noise: eps.data, stdNoise: stdEps.data,
            z: z.data, n)
        return Variable(z, parents: [mu, logVar]) { g in
            if logVar.requiresGrad {
                let d = Tensor(uninitialized: g.shape)
                for i in 0..<n { d.data[i] = 0.5 * g.data[i] * stdEps.data[i] }
                logVar.accumulate(d)
            }
            if mu.requiresGrad { mu.accumulate(g) }
        }
    }
}

extension Variable {
    /// Σ_i |KL_i − C|: each row's KL to N(0, I) held to a capacity of C nats (Burgess et al. 2018's annealed
    /// β-VAE). Gradient: sign(KL_i − C) times the row's KL gradient (μ, and ½(σ² − 1) for log σ²).
    public static func gaussianKLDistance(mean mu: Variable, logVariance logVar: Variable, capacity: Float) -> Variable
    {
        precondition(mu.shape == logVar.shape && mu.shape.rank == 2, "KL mean \(mu.shape) vs \(logVar.shape)")
        let n = mu.shape[0], d = mu.shape[1]
        var signs = [Float](repeating: 0, count: n)
        var total = 0.0
        for i in 0..<n {
            var kl = 0.0
            for k in 0..<d {
                let m = Double(mu.value.data[i * d + k]), v = Double(logVar.value.data[i * d + k])
                kl -= 0.5 * (1 + v - m * m - Foundation.exp(v))
            }
            total += Swift.abs(kl - Double(capacity))
            signs[i] = kl > Double(capacity) ? 1 : kl < Double(capacity) ? -1 : 0
        }
        return Variable(Tensor(scalar: Float(total)), parents: [mu, logVar]) { g in
            let gm = Tensor(uninitialized: mu.shape), gv = Tensor(uninitialized: logVar.shape)
            for i in 0..<n {
                let s = g.scalar * signs[i]
                for k in 0..<d {
                    gm.data[i * d + k] = s * mu.value.data[i * d + k]
                    gv.data[i * d + k] = 0.5 * s * (VectorMath.exp(logVar.value.data[i * d + k]) - 1)
                }
            }
            mu.accumulate(gm)
            logVar.accumulate(gv)
        }
    }
}

extension Variable {
    /// Σ (sigmoid(logits) − targets)²: the squared error of a Bernoulli decoder's mean (the WAE's and RAE's
    /// reconstruction term, as Pythae's `mse`), in one pass. Gradient: 2·(σ − t)·σ·(1 − σ).
    public static func sigmoidSquaredError(logits: Variable, targets: Tensor) -> Variable {
        precondition(logits.shape == targets.shape, "squared error: logits \(logits.shape) vs \(targets.shape)")
        let n = logits.value.count
        let slope = Tensor(uninitialized: logits.shape)
        VectorMath.sigmoid(logits.value.data, slope.data, n)
        var total = 0.0
        for i in 0..<n {
            let s = slope.data[i], e = s - targets.data[i]
            total += Double(e * e)
            slope.data[i] = 2 * e * s * (1 - s)
        }
        return Variable(Tensor(scalar: Float(total)), parents: [logits]) { g in
            if g.scalar != 1 { slope.scale(by: g.scalar) }
            logits.accumulate(slope)
        }
    }
}
