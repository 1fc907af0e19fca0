import Foundation
import Latent
import Testing

/// The log-cosh VAE, the first kind added as one file (issue 36's demonstration, issue 37's family): its loss
/// against the formula computed apart, its gradient against finite differences, and every verb through the CLI.
@Suite struct LogCoshVAETests {
    static func model(alpha: Float) -> LogCoshAutoencoder {
        var c = ModelConfig(kind: .logcoshvae)
        (c.hidden, c.latent, c.logCoshAlpha) = ([16], 3, alpha)
        var rng = RandomGenerator(seed: 1)
        return LogCoshAutoencoder(c, rng: &rng)
    }

    @Test(arguments: [Float(1), 10, 50])
    func theLossIsTheLogCoshOfTheMeansErrorPlusTheKL(alpha: Float) throws {
        let model = Self.model(alpha: alpha)
        let x = Support.random([6, 784], seed: 2, low: 0, high: 1)
        let noise = Support.random([6, 3], seed: 3)
        let terms = model.loss(Batch(x: x), noise: noise)
        // The same figures in double precision, from the model's tensors alone.
        let (mu, logVar) = model.encodeDistribution(x)
        let z = Tensor(uninitialized: [6, 3])
        for i in 0..<z.count { z.data[i] = mu.data[i] + Float(exp(Double(logVar.data[i]) / 2)) * noise.data[i] }
        let logits = model.decodeLogits(z, labels: [])
        var logCosh = 0.0, kl = 0.0
        for i in 0..<x.count {
            let mean = 1 / (1 + exp(-Double(logits.data[i])))
            logCosh += log(cosh(Double(alpha) * (mean - Double(x.data[i])))) / Double(alpha)
        }
        for i in 0..<mu.count {
            let m = Double(mu.data[i]), v = Double(logVar.data[i])
            kl += -0.5 * (1 + v - m * m - exp(v))
        }
        let got = (try #require(terms["log_cosh"]), try #require(terms["kl"]))
        #expect(abs(Double(got.0) - logCosh) <= 1e-4 * max(1, logCosh), "log-cosh \(got.0) vs \(logCosh)")
        #expect(abs(Double(got.1) - kl) <= 1e-4 * max(1, kl), "KL \(got.1) vs \(kl)")
        #expect(abs(Double(terms.value) - (logCosh + kl)) <= 1e-4 * (logCosh + kl))
    }

    @Test func theReconstructionTermsGradientMatchesFiniteDifferences() {
        let targets = Support.random([3, 5], seed: 4, low: 0, high: 1)
        for alpha: Float in [1, 10] {
            let logits = Support.random([3, 5], seed: 5, low: -2, high: 2)
            let error = GradientCheck.maxError(inputs: [logits]) { v in
                LogCoshVAE.reconstruction(logits: v[0], targets: targets, alpha: alpha)
            }
            #expect(error < 2e-2, "α \(alpha): \(error)")
        }
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "logcoshvae", "--log-cosh-alpha", "5", "--hidden", "32", "--latent", "2",
            "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "logcoshvae" && metrics["test_log_cosh"] != nil)
        #expect(metrics["elbo"] == nil, "a log-cosh loss is no likelihood bound")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectTrainingRefused([
            (["--model", "logcoshvae", "--log-cosh-alpha", "0"], "--log-cosh-alpha"),
            (["--model", "logcoshvae", "--log-cosh-alpha", "inf"], "--log-cosh-alpha"),
            (["--model", "logcoshvae", "--log-cosh-alpha", "nan"], "--log-cosh-alpha"),
            (["--model", "logcoshvae", "--log-cosh-alpha", "1001"], "--log-cosh-alpha"),
            (["--model", "vae", "--log-cosh-alpha", "3"], "--log-cosh-alpha"),
            (["--model", "logcoshvae", "--likelihood", "gaussian"], "--likelihood"),
        ])
    }
}
