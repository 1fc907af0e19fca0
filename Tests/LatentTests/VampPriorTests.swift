import Foundation
import Latent
import Testing

/// The VampPrior VAE: its two ops by finite differences and a direct computation, and the kind through the CLI
/// (its loss against Pythae's `VAMP` is `Scripts/family/check_pythae.py`'s).
@Suite struct VampPriorTests {
    @Test func mixtureDensityValueAndGradient() {
        let n = 4, c = 3, d = 2
        let z = Support.random([n, d], seed: 1, low: -2, high: 2)
        let means = Support.random([c, d], seed: 2), logVariances = Support.random([c, d], seed: 3, low: -1, high: 0.5)
        let err = GradientCheck.maxError(inputs: [z, means, logVariances]) { v in
            Variable.logMixtureDensity(v[0], means: v[1], logVariances: v[2])
        }
        #expect(err < 2e-2, "max relative error \(err)")
        let total = Variable.logMixtureDensity(
            Variable(z), means: Variable(means), logVariances: Variable(logVariances)
        ).value.scalar
        let rows = MixtureParts(means: means, logVariances: logVariances).responsibilities(z).1
        for r in 0..<n {
            var s = 0.0
            for k in 0..<c {
                var e = 0.0
                for j in 0..<d {
                    let lv = Double(logVariances[k, j]), diff = Double(z[r, j]) - Double(means[k, j])
                    e += -0.5 * (lv + diff * diff / exp(lv))
                }
                s += exp(e) / Double(c)
            }
            #expect(abs(rows[r] - log(s)) < 1e-4 * max(1, abs(log(s))), "row \(r): \(rows[r]) vs \(log(s))")
        }
        #expect(abs(Double(total) - rows.reduce(0, +)) < 1e-4)
    }

    @Test func pseudoInputsClampAndPassGradientsInside() {
        // Weight [D, C] = [3, 2] and bias [3]: rows of the output are clamp(weight[:, c] + bias, 0, 1).
        let w = Tensor([0.2, -0.9, 0.5, 0.3, 1.4, 0.1], shape: [3, 2]), b = Tensor([0.1, 0.2, -0.3], shape: [3])
        let u = Variable.pseudoInputs(weight: Variable(w), bias: Variable(b)).value
        #expect(u.shape == [2, 3])
        let expected: [Float] = [0.3, 0.7, 1, 0, 0.5, 0]
        for i in 0..<6 { #expect(abs(u.data[i] - expected[i]) < 1e-6) }
        // Away from the clamp's corners, finite differences agree.
        let w2 = Support.random([3, 2], seed: 4, low: 0.2, high: 0.4)
        let b2 = Support.random([3], seed: 5, low: 0.1, high: 0.3)
        let err = GradientCheck.maxError(inputs: [w2, b2]) { v in
            let p = Variable.pseudoInputs(weight: v[0], bias: v[1])
            return (p * p).sum()
        }
        #expect(err < 2e-2, "max relative error \(err)")
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "vamp", "--pseudo-inputs", "20", "--hidden", "32", "--latent", "3", "--epochs", "1",
            "--limit", "1000", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "vamp" && metrics["test_kl"] != nil)
        // Importance sampling under the VampPrior: the same on 1 and 2 threads (to BLAS's rounding of the
        // pseudo-inputs' encoder, which differs with its thread count).
        let nll = try (1...2).map { threads in
            let r = try Support.runLatent([
                "eval", run, "--iwae-k", "50", "--images", "40", "--json", "--threads", "\(threads)",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return object?["iwae_nll"] as? Double ?? .nan
        }
        #expect(abs(nll[0] - nll[1]) < 1e-6 * abs(nll[0]) && nll[0].isFinite, "\(nll)")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectRefused([
            (["anomaly", run, "--score", "elbo", "--out", dir.appendingPathComponent("a.csv").path], "elbo")
        ])
        try Support.expectTrainingRefused([
            (["--model", "vamp", "--pseudo-inputs", "0"], "--pseudo-inputs"),
            (["--model", "vamp", "--pseudo-inputs", "5001"], "--pseudo-inputs"),
            (["--model", "vae", "--pseudo-inputs", "10"], "--pseudo-inputs"),
            (["--model", "vamp", "--arch", "deepconv"], "--arch"),
        ])
    }
}
