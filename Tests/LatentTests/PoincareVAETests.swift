import Foundation
import Latent
import Testing

/// The Poincaré VAE: Möbius addition's identities, the wrapped normal's density integrating to 1 against the
/// ball's Riemannian volume, the density's gradient against finite differences, and every verb and bad flag
/// through the CLI. Its loss on trained weights is held to Pythae's `PoincareVAE` by Scripts/family/check_pythae.py.
@Suite struct PoincareVAETests {
    @Test func mobiusAdditionHasItsIdentities() {
        let c: Float = 0.7
        let x = PoincareVAE.expmap0(Variable(Support.random([4, 3], seed: 1)), c: c)
        let y = PoincareVAE.expmap0(Variable(Support.random([4, 3], seed: 2)), c: c)
        let zero = Variable(Tensor(zeros: [4, 3]))
        #expect(Support.relativeError(PoincareVAE.mobiusAdd(zero, y, c: c).value, y.value) < 1e-6)
        #expect(Support.relativeError(PoincareVAE.mobiusAdd(x, zero, c: c).value, x.value) < 1e-6)
        let back = PoincareVAE.mobiusAdd(x * -1, x, c: c).value
        #expect((0..<back.count).allSatisfy { abs(back.data[$0]) < 1e-6 }, "(−x) ⊕ x = 0")
        // The left cancellation law: (−x) ⊕ (x ⊕ y) = y; and sums stay inside the ball.
        let sum = PoincareVAE.mobiusAdd(x, y, c: c)
        #expect(Support.relativeError(PoincareVAE.mobiusAdd(x * -1, sum, c: c).value, y.value) < 1e-4)
        for r in 0..<4 {
            let norm2 = (0..<3).reduce(Float(0)) { $0 + sum.value.data[r * 3 + $1] * sum.value.data[r * 3 + $1] }
            #expect(c * norm2 < 1)
        }
    }

    /// ∫ p(z) λ(z)² dz = 1 over the disk (m = 2), λ(z) = 2/(1 − c‖z‖²) the conformal factor: the wrapped
    /// normal is a density against the ball's Riemannian volume.
    @Test(arguments: [Float(1), 0.5]) func theWrappedNormalIntegratesToOne(c: Float) {
        let steps = 600, radius = 1 / c.squareRoot(), cell = 2 * radius / Float(steps)
        var points: [Float] = []
        for i in 0..<steps {
            for j in 0..<steps {
                let (a, b) = (-radius + (Float(i) + 0.5) * cell, -radius + (Float(j) + 0.5) * cell)
                if c * (a * a + b * b) < 0.9999 { points += [a, b] }
            }
        }
        let n = points.count / 2, z = Tensor(uninitialized: [n, 2])
        z.data.update(from: points, count: points.count)
        let centre = Tensor(uninitialized: [n, 2]), logSigma = Tensor(uninitialized: [n, 2])
        for r in 0..<n {
            (centre.data[2 * r], centre.data[2 * r + 1]) = (0.3 / c.squareRoot(), -0.2 / c.squareRoot())
            (logSigma.data[2 * r], logSigma.data[2 * r + 1]) = (log(0.5), log(0.8))
        }
        let logP = PoincareVAE.wrappedLogDensity(
            Variable(z), centre: Variable(centre), logSigma: Variable(logSigma), c: c
        ).value
        var total = 0.0
        for r in 0..<n {
            let norm2 = Double(points[2 * r] * points[2 * r] + points[2 * r + 1] * points[2 * r + 1])
            let lambda = 2 / (1 - Double(c) * norm2)
            total += exp(Double(logP.data[r])) * lambda * lambda * Double(cell * cell)
        }
        #expect(abs(total - 1) < 0.01, "c \(c): \(total)")
    }

    @Test func theWrappedDensitysGradientMatchesFiniteDifferences() {
        let c: Float = 0.7
        let z = PoincareVAE.expmap0(Variable(Support.random([3, 4], seed: 3)), c: c).value
        let centre = Support.random([3, 4], seed: 4), logSigma = Support.random([3, 4], seed: 5, low: -1, high: 0.5)
        let error = GradientCheck.maxError(inputs: [centre, logSigma]) { v in
            let onBall = PoincareVAE.expmap0(v[0], c: c)
            return (PoincareVAE.wrappedLogDensity(Variable(z), centre: onBall, logSigma: v[1], c: c)
                - PoincareVAE.wrappedLogDensity(Variable(z), centre: nil, logSigma: nil, c: c)).sum()
        }
        #expect(error < 2e-2, "\(error)")
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "poincarevae", "--curvature", "0.7", "--hidden", "32", "--latent", "2",
            "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "poincarevae" && metrics["test_kl"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["encode", run, "--out", dir.appendingPathComponent("codes.csv").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectTrainingRefused([
            (["--model", "poincarevae", "--curvature", "0"], "--curvature"),
            (["--model", "poincarevae", "--curvature", "-1"], "--curvature"),
            (["--model", "poincarevae", "--curvature", "inf"], "--curvature"),
            (["--model", "poincarevae", "--curvature", "nan"], "--curvature"),
            (["--model", "poincarevae", "--curvature", "101"], "--curvature"),
            (["--model", "vae", "--curvature", "1"], "--curvature"),
            (["--model", "poincarevae", "--beta", "2"], "--beta"),
        ])
    }
}
