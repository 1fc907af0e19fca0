import Foundation
import Latent
import Testing

/// The hyperspherical (von Mises–Fisher) VAE: the Bessel function against closed forms and tables, the KL's
/// derivative and the draw's gradient against finite differences, the draws' mean resultant length against the
/// Bessel ratio, and every verb and bad flag through the CLI. Its loss on trained weights is held to Pythae's `SVAE`
/// (scipy's Bessel functions) by Scripts/family/check_pythae.py.
@Suite struct HypersphericalVAETests {
    /// I_{1/2}(x) = √(2/(πx))·sinh x and I_{3/2}(x) = √(2/(πx))·(cosh x − sinh x / x), in logs so that
    /// large x stays finite; I₀(1) and I₁(1) from Abramowitz & Stegun's table 9.8.
    @Test func logBesselMatchesClosedFormsAndTables() {
        for x in [0.01, 0.5, 1, 10, 63, 65, 200, 500, 5000] {
            let logSinh = x + log1p(-exp(-2 * x)) - M_LN2, logCosh = x + log1p(exp(-2 * x)) - M_LN2
            let half = 0.5 * log(2 / (Double.pi * x)) + logSinh
            let threeHalves = 0.5 * log(2 / (Double.pi * x)) + logCosh + log1p(-exp(logSinh - logCosh) / x)
            #expect(abs(Bessel.logI(order: 0.5, x) - half) < 1e-10 * max(1, abs(half)), "ν 1/2, x \(x)")
            #expect(abs(Bessel.logI(order: 1.5, x) - threeHalves) < 1e-9 * max(1, abs(threeHalves)), "ν 3/2, x \(x)")
        }
        #expect(abs(exp(Bessel.logI(order: 0, 1)) - 1.266065878) < 1e-9)
        #expect(abs(exp(Bessel.logI(order: 1, 1)) - 0.565159104) < 1e-9)
        // Across the switch from the series to Hankel's expansion (x = 2ν² = 98 for ν = 7) log I is smooth: its
        // change over ±0.01 is 0.02 times its derivative R + ν/x.
        let (below, above) = (Bessel.logI(order: 7, 97.99), Bessel.logI(order: 7, 98.01))
        let slope = Bessel.ratio(order: 7, 98) + 7.0 / 98
        #expect(abs(above - below - 0.02 * slope) < 1e-8, "\(above - below) vs \(0.02 * slope)")
    }

    @Test(arguments: [3, 16]) func theKLsDerivativeMatchesFiniteDifferences(m: Int) {
        for kappa in [1.5, 20, 400, 3000] {
            let h = 1e-4 * kappa
            let numeric =
                (VonMisesFisher.klToUniform(kappa: kappa + h, dimension: m).value
                    - VonMisesFisher.klToUniform(kappa: kappa - h, dimension: m).value) / (2 * h)
            let analytic = VonMisesFisher.klToUniform(kappa: kappa, dimension: m).derivative
            #expect(abs(numeric - analytic) < 1e-5 * max(1, abs(analytic)), "m \(m), κ \(kappa)")
            #expect(VonMisesFisher.klToUniform(kappa: kappa, dimension: m).value > 0)
        }
    }

    /// E[μᵀz] = I_{m/2}(κ)/I_{m/2−1}(κ) for z ~ vMF(μ, κ) on S^{m−1}; the draws lie on the sphere.
    @Test(arguments: [(3, Float(0.5)), (10, 3), (16, 40)])
    func drawsHaveTheMeanResultantLengthOfTheDistribution(m: Int, h: Float) {
        let n = 20_000
        var rng = RandomGenerator(seed: 9)
        let e = Support.random([1, m], seed: 10)
        let kappa = VonMisesFisher.concentration(h)
        let mixing = (0..<n).map { _ in VonMisesFisher.mixing(kappa: kappa, dimension: m, rng: &rng) }
        let tangent = Tensor(uninitialized: [n, m - 1])
        for i in 0..<n {
            let v = (0..<(m - 1)).map { _ in rng.normal() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<(m - 1) { tangent.data[i * (m - 1) + j] = v[j] / norm }
        }
        let rows = Tensor(uninitialized: [n, m]), hs = Tensor(repeating: h, shape: [n, 1])
        for i in 0..<n { (rows.data + i * m).update(from: e.data, count: m) }
        let z = Variable.vonMisesFisherSample(
            direction: Variable(rows), concentration: Variable(hs), mixing: mixing, tangent: tangent
        ).value
        let norm = (0..<m).reduce(Float(0)) { $0 + e.data[$1] * e.data[$1] }.squareRoot()
        var (sum, sumSq, worstRadius) = (0.0, 0.0, 0.0)
        for i in 0..<n {
            let dot = (0..<m).reduce(0.0) { $0 + Double(z.data[i * m + $1] * e.data[$1] / norm) }
            let radius = (0..<m).reduce(0.0) { $0 + Double(z.data[i * m + $1] * z.data[i * m + $1]) }
            (sum, sumSq, worstRadius) = (sum + dot, sumSq + dot * dot, max(worstRadius, abs(radius - 1)))
        }
        let mean = sum / Double(n), sd = (sumSq / Double(n) - mean * mean).squareRoot()
        let expected = Bessel.ratio(order: Double(m) / 2 - 1, kappa)
        #expect(abs(mean - expected) < 5 * sd / Double(n).squareRoot(), "m \(m), κ \(kappa): \(mean) vs \(expected)")
        #expect(worstRadius < 1e-5)
    }

    @Test func theDrawsGradientMatchesFiniteDifferences() {
        let (n, m) = (3, 5)
        var rng = RandomGenerator(seed: 11)
        let e = Support.random([n, m], seed: 12), h = Support.random([n, 1], seed: 13)
        let mixing = (0..<n).map { i in
            VonMisesFisher.mixing(kappa: VonMisesFisher.concentration(h.data[i]), dimension: m, rng: &rng)
        }
        let tangent = Support.random([n, m - 1], seed: 14)
        for i in 0..<n {
            let row = tangent.data + i * (m - 1)
            let norm = (0..<(m - 1)).reduce(Float(0)) { $0 + row[$1] * row[$1] }
            for j in 0..<(m - 1) { row[j] /= norm.squareRoot() }
        }
        let weights = Support.random([n, m], seed: 15)
        let error = GradientCheck.maxError(inputs: [e, h]) { v in
            (Variable.vonMisesFisherSample(direction: v[0], concentration: v[1], mixing: mixing, tangent: tangent)
                * Variable(weights)).sum()
        }
        #expect(error < 2e-2, "\(error)")
    }

    /// Interpolation on the sphere follows the great circle at constant speed: every point is a unit vector and
    /// neighbours are equally far apart.
    @Test func interpolationFollowsTheGreatCircle() {
        let a: [Float] = [1, 0, 0], b: [Float] = [0, 0.6, 0.8]
        let arc = Codes.arc(from: a, to: b, steps: 7)
        var gaps: [Float] = []
        for s in 0..<7 {
            let point = (0..<3).map { arc[s, $0] }
            #expect(abs(point.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
            if s > 0 { gaps.append(sqrt((0..<3).reduce(Float(0)) { $0 + pow(arc[s, $1] - arc[s - 1, $1], 2) })) }
        }
        #expect(gaps.max()! - gaps.min()! < 1e-5 && abs(arc[6, 1] - 0.6) < 1e-6)
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "svae", "--hidden", "32", "--latent", "3", "--epochs", "1", "--limit", "500",
            "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "svae" && metrics["test_kl"] != nil)
        // Judged samples from its own prior are decoded points of the sphere, not decoded N(0, I) codes.
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: run))
        func pictures(_ prior: String) throws -> Tensor {
            try CodePrior(parsing: prior).pictures(
                for: loaded, count: 20, seed: 4, train: { throw LatentError(.data, "unused") },
                directory: nil)
        }
        var rng = RandomGenerator(seed: 4, stream: .pictures)
        let own = try #require(loaded.model as? HypersphericalAutoencoder).sample(count: 20, rng: &rng)
        #expect(try pictures("normal").array == own.array)
        let gaussian = loaded.model.decode(
            try CodePrior.normal.codes(
                for: loaded, count: 20, seed: 4, train: { throw LatentError(.data, "unused") },
                directory: nil))
        #expect(gaussian.array != own.array)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["encode", run, "--out", dir.appendingPathComponent("codes.csv").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
            ["interpolate", run, "--from", "1", "--to", "2", "--out", dir.appendingPathComponent("i.png").path],
        ])
        let traversal = try Support.runLatent([
            "plot", "traversal", run, "--image", "1", "--out", dir.appendingPathComponent("t.png").path,
        ])
        #expect(traversal.status != 0 && traversal.stderr.contains("sphere"), "\(traversal.stderr)")
        try Support.expectTrainingRefused([
            (["--model", "svae", "--latent", "1"], "--latent"),
            (["--model", "svae", "--latent", "257"], "--latent"),
            (["--model", "svae", "--beta", "4"], "--beta"),
        ])
    }
}
