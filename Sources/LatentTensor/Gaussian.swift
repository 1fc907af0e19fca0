/// The diagonal-Gaussian arithmetic of a VAE step on raw buffers, shared by the graph's fused ops and the
/// planned step so both compute the same numbers the same way.
public enum Gaussian {
    /// z = mu + exp(logVar / 2) · eps over n elements, keeping std · eps in `stdNoise` for the backward pass.
    public static func reparameterize(mean mu: UnsafePointer<Float>, logVariance lv: UnsafePointer<Float>,
                                      noise eps: UnsafePointer<Float>, stdNoise se: UnsafeMutablePointer<Float>,
                                      z: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { se[i] = lv[i] * 0.5 }
        VectorMath.exp(se, se, n)
        for i in 0..<n { se[i] *= eps[i] }
        for i in 0..<n { z[i] = mu[i] + se[i] }
    }

    /// KL( N(mu, exp(logVar)) ‖ N(0, I) ) = −½ Σ (1 + logVar − mu² − exp(logVar)) (Kingma & Welling 2014,
    /// appendix B), summed in double precision; exp(logVar) is left in `variance` for the gradient.
    public static func klToStandardNormal(mean mu: UnsafePointer<Float>, logVariance lv: UnsafePointer<Float>,
                                          variance v: UnsafeMutablePointer<Float>, _ n: Int) -> Double {
        VectorMath.exp(lv, v, n)
        var total = 0.0
        for i in 0..<n { total += Double(-0.5 * (1 + lv[i] - mu[i] * mu[i] - v[i])) }
        return total
    }
}
