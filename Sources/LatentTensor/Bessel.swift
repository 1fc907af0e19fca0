import Foundation

/// The modified Bessel function of the first kind, I_ν(x), as the von Mises–Fisher distribution needs it (its
/// normaliser and KL), in double precision. Hand-written: no Debian library with a permissive licence offers I_ν
/// of real order (GSL's is GPL; scipy's `ive` is what Pythae calls). Two classical expansions (Abramowitz & Stegun
/// 9.6.10 and 9.7.1):
/// - the power series (x/2)^ν Σ_k (x²/4)^k / (k! Γ(k + ν + 1)), summed with a running rescaling so that no term
///   overflows, for x ≤ max(64, 2ν²);
/// - Hankel's large-argument expansion e^x / √(2πx) · Σ_k (−1)^k a_k(ν) / x^k beyond, where its terms fall at
///   least fourfold each.
public enum Bessel {
    /// log I_ν(x) for ν ≥ 0 and x > 0 (−∞ at x = 0 for ν > 0, 0 for ν = 0).
    public static func logI(order nu: Double, _ x: Double) -> Double {
        precondition(nu >= 0 && x >= 0, "Bessel.logI: order \(nu) and argument \(x) must not be negative")
        if x == 0 { return nu == 0 ? 0 : -.infinity }
        return x <= max(64, 2 * nu * nu) ? seriesLogI(nu, x) : hankelLogI(nu, x)
    }

    /// I_{ν+1}(x) / I_ν(x), the mean resultant length of a von Mises–Fisher distribution of ν = m/2 − 1.
    public static func ratio(order nu: Double, _ x: Double) -> Double {
        x == 0 ? 0 : Foundation.exp(logI(order: nu + 1, x) - logI(order: nu, x))
    }

    static func seriesLogI(_ nu: Double, _ x: Double) -> Double {
        let q = x * x / 4
        var (term, sum, logScale) = (1.0, 1.0, 0.0)
        var k = 0.0
        while true {
            k += 1
            term *= q / (k * (k + nu))
            sum += term
            if term < sum * 1e-17, k > q.squareRoot() { break }  // past the peak and below the last bit
            if sum > 1e280 { (term, sum, logScale) = (term * 1e-280, sum * 1e-280, logScale + 280 * M_LN10) }
        }
        return nu * Foundation.log(x / 2) - Foundation.lgamma(nu + 1) + Foundation.log(sum) + logScale
    }

    static func hankelLogI(_ nu: Double, _ x: Double) -> Double {
        let mu = 4 * nu * nu
        var (term, sum) = (1.0, 1.0)
        for k in 1...60 {
            let odd = Double(2 * k - 1)
            term *= -(mu - odd * odd) / (Double(k) * 8 * x)
            sum += term
            if Swift.abs(term) < 1e-17 * Swift.abs(sum) { break }
        }
        return x - 0.5 * Foundation.log(2 * Double.pi * x) + Foundation.log(sum)
    }
}
