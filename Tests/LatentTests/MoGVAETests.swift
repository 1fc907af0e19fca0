import Foundation
import Latent
import Testing

/// The learned mixture-of-Gaussians prior (`mogvae`): its components move with training, and the kind through the
/// CLI (its IS-NLL against PyTorch's is `Scripts/likelihood/check_is_nll.py`'s; the mixture's op is
/// `VampPriorTests`').
@Suite struct MoGVAETests {
    @Test func theComponentsLearn() throws {
        var c = ModelConfig(kind: .mogvae)
        (c.hidden, c.latent, c.mixtureComponents) = ([16], 2, 3)
        try c.validate()
        var rng = RandomGenerator(seed: 1)
        let model = GaussianMixturePriorAutoencoder(c, rng: &rng)
        let parameters = ParameterSet(model)
        parameters.zeroGrad()
        let batch = Batch(x: Support.random([5, 784], seed: 2, low: 0, high: 1))
        var noiseRNG = RandomGenerator(seed: 3)
        model.loss(batch, rng: &noiseRNG).total.backward()
        for name in ["prior_means", "prior_logvars"] {
            let p = try #require(parameters.named.first { $0.name == name }?.parameter.grad, "\(name)")
            let norm = (0..<p.count).reduce(Float(0)) { $0 + abs(p.data[$1]) }
            #expect(norm > 0, "\(name) gets no gradient")
        }
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "mogvae", "--mixture-components", "4", "--hidden", "32", "--latent", "3", "--epochs",
            "1", "--limit", "1000", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "mogvae" && metrics["test_kl"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["eval", run, "--iwae-k", "20", "--images", "30"],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectTrainingRefused([
            (["--model", "mogvae", "--mixture-components", "0"], "--mixture-components"),
            (["--model", "mogvae", "--mixture-components", "5001"], "--mixture-components"),
            (["--model", "vae", "--mixture-components", "3"], "--mixture-components"),
        ])
    }
}
