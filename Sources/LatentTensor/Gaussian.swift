/// The diagonal-Gaussian arithmetic of a VAE step on raw buffers, shared by the graph's fused ops and the
/// planned step so both compute the same numbers the same way.
package enum Gaussian {
    /// z = mu + exp(logVar / 2) · eps over n elements, keeping std · eps in `stdNoise` for the backward pass.
    package static func reparameterize(
        mean mu: UnsafePointer<Float>, logVariance lv: UnsafePointer<Float>,
        noise eps: UnsafePointer<Float>, stdNoise se: UnsafeMutablePointer<Float>,
        z: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        for i in 0..<n { se[i] = lv[i] * 0.5 }
        VectorMath.exp(se, se, n)
        for i in 0..<n { se[i] *= eps[i] }
        for i in 0..<n { z[i] = mu[i] + se[i] }
    }

    /// KL( N(mu, exp(logVar)) ‖ N(0, I) ) = −½ Σ (1 + logVar − mu² − exp(logVar)) (Kingma & Welling 2014,
    /// appendix B), summed in double precision; exp(logVar) is left in `variance` for the gradient.
    package static func klToStandardNormal(
        mean mu: UnsafePointer<Float>, logVariance lv: UnsafePointer<Float>,
        variance v: UnsafeMutablePointer<Float>, _ n: Int
    ) -> Double {
        VectorMath.exp(lv, v, n)
        var total = 0.0
        for i in 0..<n { total += Double(-0.5 * (1 + lv[i] - mu[i] * mu[i] - v[i])) }
        return total
    }

    /// log 2π, for Gaussian log-densities.
    package static let logTwoPi = Float(1.8378770664093453)

    /// log p(z) − log q(z|x) for one sample z = mu + σ·ε of d dimensions:
    /// −½ Σ (z² − ε² − logVar) (the log 2π terms cancel). The importance weight's prior-over-posterior
    /// part, in IWAE's bound and the IS-NLL estimate.
    package static func logPriorMinusPosterior(
        z: UnsafePointer<Float>, noise eps: UnsafePointer<Float>,
        logVariance lv: UnsafePointer<Float>, _ d: Int
    ) -> Float {
        var acc: Float = 0
        for j in 0..<d { acc += -0.5 * (z[j] * z[j] - eps[j] * eps[j] - lv[j]) }
        return acc
    }

    /// log N(x; μ, σ² I) of n values given their summed squared error Σ(x − μ)² and log σ²:
    /// −½ [Σ(x − μ)² / σ² + n (log σ² + log 2π)].
    package static func logLikelihood(squaredError: Float, count n: Int, logVariance lv: Float) -> Float {
        -0.5 * (squaredError * VectorMath.exp(-lv) + Float(n) * (lv + logTwoPi))
    }
}
