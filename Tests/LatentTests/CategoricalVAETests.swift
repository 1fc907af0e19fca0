import Foundation
import Latent
import Testing

/// The categorical (Gumbel-softmax) VAE: its log-softmax against finite differences and a known value, the
/// temperature schedule, codes that are class probabilities, and every verb and bad flag through the CLI. Its loss
/// against the paper's in PyTorch: Scripts/family/check_pythae.py.
@Suite struct CategoricalVAETests {
    @Test func logSoftmaxMatchesFiniteDifferencesAndAKnownValue() {
        let x = Support.random([4, 5], seed: 21, low: -3, high: 3)
        let error = GradientCheck.maxError(inputs: [x]) { v in
            (v[0].logSoftmaxRows() * Variable(Support.random([4, 5], seed: 22))).sum()
        }
        #expect(error < 2e-2, "\(error)")
        // Equal logits: log(1/K) everywhere, even far from 0 (the row maximum is subtracted first).
        let flat = Variable(Tensor(repeating: 500, shape: [2, 4])).logSoftmaxRows().value.array
        #expect(flat.allSatisfy { abs($0 - Float(Foundation.log(0.25))) < 1e-6 }, "\(flat)")
    }

    @Test func theTemperatureFallsByEpochToItsFloor() {
        let s = Categorical(categories: 10, temperature: 2, minimumTemperature: 0.5, annealRate: 0.5)
        #expect(s.temperature(epoch: 1) == 2)
        #expect(abs(s.temperature(epoch: 2) - 2 * Float(Foundation.exp(-0.5))) < 1e-6)
        #expect(s.temperature(epoch: 100) == 0.5 && s.temperature(epoch: nil) == 0.5)
    }

    @Test func codesAreClassProbabilitiesAndSamplesAreOneHot() throws {
        var c = ModelConfig(kind: .categoricalvae)
        (c.hidden, c.latent, c.categorical) = ([16], 12, Categorical(categories: 4))
        try c.validate()
        var rng = RandomGenerator(seed: 2)
        let model = CategoricalAutoencoder(c, rng: &rng)
        let q = model.encode(Support.random([3, 784], seed: 4, low: 0, high: 1))
        for row in 0..<3 {
            for v in 0..<3 {
                let block = (0..<4).map { q[row, 4 * v + $0] }
                #expect(block.allSatisfy { $0 > 0 } && abs(block.reduce(0, +) - 1) < 1e-5, "\(block)")
            }
        }
        let terms = model.loss(Batch(x: Support.random([3, 784], seed: 4, low: 0, high: 1)), rng: &rng)
        #expect(terms["kl"]! >= 0 && terms["kl"]! <= 3 * 3 * Float(Foundation.log(4.0)), "\(terms.parts)")
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "categoricalvae", "--categories", "4", "--temperature", "2", "--temperature-min",
            "0.5", "--anneal-rate", "0.3", "--hidden", "32", "--latent", "8", "--epochs", "2", "--limit", "500",
            "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "categoricalvae" && metrics["test_kl"] != nil, "\(metrics)")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["interpolate", run, "--from", "0", "--to", "1", "--out", dir.appendingPathComponent("i.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let base = ["--model", "categoricalvae", "--latent", "8"]
        let model = base + ["--categories", "4"]
        try Support.expectTrainingRefused([
            (base + ["--categories", "3"], "--categories"), (base + ["--categories", "1"], "--categories"),
            (model + ["--temperature", "0"], "--temperature"), (model + ["--temperature", "inf"], "--temperature"),
            (model + ["--temperature-min", "2"], "--temperature-min"),
            (model + ["--anneal-rate", "-1"], "--anneal-rate"),
            (model + ["--beta", "2"], "--beta"),
            (["--model", "vae", "--categories", "4"], "--categories"),
        ])
        try Support.expectRefused([
            (["plot", "traversal", run, "--image", "1", "--out", dir.appendingPathComponent("t.png").path], "--model")
        ])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("t.png").path))
    }
}
