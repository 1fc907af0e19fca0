import Foundation
import Latent
import Testing

/// The IWAE with two stochastic layers (`iwae2`): every network's gradient against central differences of the
/// bound with the same draws, and the kind through the CLI (its IS-NLL against PyTorch's is
/// `Scripts/likelihood/check_is_nll.py`'s).
@Suite struct TwoLayerIWAETests {
    static func model() throws -> TwoLayerAutoencoder {
        var c = ModelConfig(kind: .iwae2)
        (c.hidden, c.latent, c.activation) = ([8], 3, .tanh)
        (c.importanceSamples, c.upperHidden, c.upperLatent) = (3, [5], 2)
        try c.validate()
        var rng = RandomGenerator(seed: 2)
        return TwoLayerAutoencoder(c, rng: &rng)
    }

    @Test func everyNetworksGradientMatchesFiniteDifferences() throws {
        let model = try Self.model()
        let parameters = ParameterSet(model)
        let x = Support.random([4, 784], seed: 6, low: 0, high: 1)
        for i in 0..<x.count { x.data[i] = x.data[i] < 0.3 ? 1 : 0 }
        let batch = Batch(x: x)
        func loss() -> Double {
            var rng = RandomGenerator(seed: 17)
            return Double(model.loss(batch, rng: &rng).total.value.scalar)
        }
        parameters.zeroGrad()
        var rng = RandomGenerator(seed: 17)
        model.loss(batch, rng: &rng).total.backward()
        let h: Float = 1e-2
        for prefix in ["encoder", "mean", "logvar", "decoder", "upper_encoder", "upper_mean", "upper_logvar",
                       "prior_body", "prior_mean", "prior_logvar"] {
            let range = try #require(parameters.range(ofPrefix: prefix), "\(prefix)")
            let largest = range.sorted { abs(parameters.grads.data[$0]) > abs(parameters.grads.data[$1]) }.prefix(3)
            for i in largest {
                let old = parameters.values.data[i]
                parameters.values.data[i] = old + h
                let up = loss()
                parameters.values.data[i] = old - h
                let down = loss()
                parameters.values.data[i] = old
                let numeric = (up - down) / Double(2 * h), analytic = Double(parameters.grads.data[i])
                #expect(
                    abs(numeric - analytic) <= 2e-2 * abs(analytic) + 2e-2, "\(prefix) \(i): \(analytic) vs \(numeric)")
            }
        }
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "iwae2", "--k", "2", "--hidden", "32", "--latent", "6", "--upper-hidden", "16",
            "--upper-latent", "3", "--epochs", "1", "--limit", "1000", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "iwae2" && metrics["test_iwae2_bound"] != nil)
        // The one-sample ELBO lies below the two-sample bound (a margin for the estimates' noise).
        let elbo = try #require(metrics["elbo"] as? Double)
        let bound = try #require(metrics["test_iwae2_bound"] as? Double)
        #expect(elbo <= -bound + 0.5, "ELBO \(elbo), bound \(-bound)")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["eval", run, "--iwae-k", "20", "--images", "30"],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectTrainingRefused([
            (["--model", "iwae2", "--upper-latent", "0"], "--upper-latent"),
            (["--model", "iwae2", "--upper-latent", "1025"], "--upper-latent"),
            (["--model", "iwae2", "--upper-hidden", "0"], "--upper-hidden"),
            (["--model", "iwae2", "--upper-hidden", "100,abc"], "--upper-hidden"),
            (["--model", "iwae2", "--upper-hidden", "1,2,3,4,5,6,7,8,9"], "--upper-hidden"),
            (["--model", "iwae2", "--arch", "conv"], "--arch"),
            (["--model", "vae", "--upper-latent", "4"], "--upper-latent"),
        ])
    }
}
