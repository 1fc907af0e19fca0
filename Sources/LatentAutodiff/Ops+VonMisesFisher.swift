import Foundation
import LatentTensor

/// The von Mises–Fisher distribution on the unit sphere S^{m−1} of the hyperspherical VAE (Davidson et al. 2018),
/// as Pythae's `SVAE` parameterises it: a direction μ = e/‖e‖ and a concentration κ = softplus(h) + 1 per row.
/// Figures are computed in double precision per row.
public enum VonMisesFisher {
    /// κ = softplus(h) + 1.
    public static func concentration(_ h: Float) -> Double {
        let x = Double(h)
        return (x > 30 ? x : Foundation.log1p(Foundation.exp(x))) + 1
    }

    /// Wood's (1994) b = (m − 1) / (2κ + √(4κ² + (m − 1)²)) (the usual (−2κ + √…)/(m − 1),
    /// without its cancellation at large κ).
    static func woodB(_ kappa: Double, _ m: Int) -> Double {
        let m1 = Double(m - 1)
        return m1 / (2 * kappa + (4 * kappa * kappa + m1 * m1).squareRoot())
    }

    /// Wood's rejection sampler of the mixing variable: ε ~ Beta((m − 1)/2, (m − 1)/2) until accepted, so
    /// that w = (1 − (1 + b)ε) / (1 − (1 − b)ε) is distributed as μᵀz. Gives up (keeping the last draw)
    /// after 1,000 proposals, which at Wood's acceptance rate (over one half for every κ and m) does not happen.
    public static func mixing(kappa: Double, dimension m: Int, rng: inout RandomGenerator) -> Double {
        let m1 = Double(m - 1), b = woodB(kappa, m)
        let a = (m1 + 2 * kappa + (4 * kappa * kappa + m1 * m1).squareRoot()) / 4
        let d = 4 * a * b / (1 + b) - m1 * Foundation.log(m1)
        var eps = 0.0
        for _ in 0..<1000 {
            eps = rng.beta(m1 / 2, m1 / 2)
            let t = 2 * a * b / (1 - (1 - b) * eps)
            let u = Double((rng.next() >> 11) | 1) * 0x1p-53
            if m1 * Foundation.log(t) - t + d >= Foundation.log(u) { break }
        }
        return eps
    }

    /// KL(vMF(μ, κ) ‖ uniform on S^{m−1}) = κ·I_{m/2}(κ)/I_{m/2−1}(κ) + (m/2 − 1)·log κ
    /// − log I_{m/2−1}(κ) + (1 − m/2)·log 2 − log Γ(m/2), with its derivative in κ,
    /// κ(1 − R²) − (m − 1)·R (R the Bessel ratio).
    public static func klToUniform(kappa: Double, dimension m: Int) -> (value: Double, derivative: Double) {
        let nu = Double(m) / 2 - 1
        let logI = Bessel.logI(order: nu, kappa), r = Foundation.exp(Bessel.logI(order: nu + 1, kappa) - logI)
        let value =
            kappa * r + nu * Foundation.log(kappa) - logI + (1 - Double(m) / 2) * M_LN2
            - Foundation.lgamma(Double(m) / 2)
        return (value, kappa * (1 - r * r) - (2 * nu + 1) * r)
    }
}

extension Variable {
    /// Σ over rows of KL(vMF(·, κ) ‖ uniform on S^{m−1}) for κ = softplus(h) + 1, h of shape [n, 1]; a scalar.
    public static func vonMisesFisherKL(concentration h: Variable, dimension m: Int) -> Variable {
        let n = h.shape[0]
        var total = 0.0
        let slope = Tensor(uninitialized: [n, 1])  // dKL/dh per row
        for i in 0..<n {
            let kappa = VonMisesFisher.concentration(h.value.data[i])
            let (kl, dk) = VonMisesFisher.klToUniform(kappa: kappa, dimension: m)
            total += kl
            slope.data[i] = Float(dk / (1 + Foundation.exp(-Double(h.value.data[i]))))  // × sigmoid(h)
        }
        return Variable(Tensor(scalar: Float(total)), parents: [h]) { g in
            let out = Tensor(uninitialized: [n, 1])
            for i in 0..<n { out.data[i] = slope.data[i] * g.scalar }
            h.accumulate(out)
        }
    }

    /// Draws z ~ vMF(e/‖e‖, softplus(h) + 1) on S^{m−1} by Wood's construction: z = H·[w, √(1 − w²)·v],
    /// H the Householder reflection taking the first axis to μ (as Pythae's `_householder_rotation`), w from
    /// the accepted mixing draw `mixing[i]` and `tangent` [n, m − 1] uniform unit vectors. The gradient reaches
    /// e through μ and H, and h through w's dependence on κ (the reparameterised part; the rejection's
    /// correction term is left out, as Pythae leaves it).
    public static func vonMisesFisherSample(
        direction e: Variable, concentration h: Variable, mixing: [Double], tangent v: Tensor
    ) -> Variable {
        let (n, m) = (e.shape[0], e.shape[1])
        precondition(h.shape == [n, 1] && v.shape == [n, m - 1] && mixing.count == n, "vonMisesFisherSample: shapes")
        let z = Tensor(uninitialized: [n, m])
        var rows: [Row] = []
        rows.reserveCapacity(n)
        for i in 0..<n {
            let row = Row(e.value.data + i * m, h: h.value.data[i], eps: mixing[i], v: v.data + i * (m - 1), m: m)
            for j in 0..<m { z.data[i * m + j] = Float(row.z[j]) }
            rows.append(row)
        }
        return Variable(z, parents: [e, h]) { g in
            let ge = Tensor(uninitialized: [n, m]), gh = Tensor(uninitialized: [n, 1])
            for i in 0..<n {
                let (de, dh) = rows[i].pullback(g.data + i * m)
                for j in 0..<m { ge.data[i * m + j] = Float(de[j]) }
                gh.data[i] = Float(dh)
            }
            if e.requiresGrad { e.accumulate(ge) }
            if h.requiresGrad { h.accumulate(gh) }
        }
    }
}

/// One row of `vonMisesFisherSample`: the forward values its pullback needs.
private struct Row {
    var mu: [Double] = [], d: [Double] = [], u: [Double] = [], y: [Double] = [], z: [Double] = []
    var norm = 0.0, dNorm = 0.0, p = 0.0, w = 0.0, s = 0.0, clipped = false, dwdh = 0.0

    init(_ e: UnsafeMutablePointer<Float>, h: Float, eps: Double, v: UnsafeMutablePointer<Float>, m: Int) {
        norm = (0..<m).reduce(0.0) { $0 + Double(e[$1]) * Double(e[$1]) }.squareRoot()
        mu = (0..<m).map { Double(e[$0]) / Swift.max(norm, 1e-12) }
        let kappa = VonMisesFisher.concentration(h), b = VonMisesFisher.woodB(kappa, m)
        let bottom = 1 - (1 - b) * eps
        w = (1 - (1 + b) * eps) / bottom
        let s2 = 1 - w * w
        clipped = s2 <= 1e-10
        s = Swift.max(s2, 1e-10).squareRoot()
        y = [w] + (0..<(m - 1)).map { s * Double(v[$0]) }
        d = (0..<m).map { ($0 == 0 ? 1 : 0) - mu[$0] }
        dNorm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = d.map { $0 / (dNorm + 1e-8) }
        p = zip(u, y).reduce(0) { $0 + $1.0 * $1.1 }
        z = (0..<m).map { y[$0] - 2 * p * u[$0] }
        // dw/dκ = dw/db · db/dκ, and dκ/dh = sigmoid(h).
        let m1 = Double(m - 1), c = (4 * kappa * kappa + m1 * m1).squareRoot()
        let dwdb = -2 * eps * (1 - eps) / (bottom * bottom)
        let dbdk = -m1 * (4 * kappa / c + 2) / ((c + 2 * kappa) * (c + 2 * kappa))
        dwdh = dwdb * dbdk / (1 + Foundation.exp(-Double(h)))
    }

    /// The gradients of e and h from the gradient `g` of z.
    func pullback(_ g: UnsafeMutablePointer<Float>) -> (e: [Double], h: Double) {
        let m = mu.count, gz = (0..<m).map { Double(g[$0]) }
        let ug = zip(u, gz).reduce(0) { $0 + $1.0 * $1.1 }
        let gy = (0..<m).map { gz[$0] - 2 * u[$0] * ug }
        let gu = (0..<m).map { -2 * (p * gz[$0] + ug * y[$0]) }
        let r = dNorm + 1e-8
        let dgu = zip(d, gu).reduce(0) { $0 + $1.0 * $1.1 }
        let gMu = (0..<m).map { -(gu[$0] / r - (dNorm > 0 ? d[$0] * dgu / (r * r * dNorm) : 0)) }
        let muG = zip(mu, gMu).reduce(0) { $0 + $1.0 * $1.1 }
        let ge = (0..<m).map { (gMu[$0] - mu[$0] * muG) / Swift.max(norm, 1e-12) }
        var gw = gy[0]
        if !clipped { for j in 1..<m { gw += gy[j] * (y[j] / s) * (-w / s) } }
        return (ge, gw * dwdh)
    }
}
