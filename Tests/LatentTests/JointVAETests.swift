import Foundation
import Latent
import Testing

/// JointVAE: its capacities, its loss's gradient against finite differences (the same draws), data-parallel workers
/// against one worker on the capacity terms, and every verb and bad flag through the CLI. Its loss against the
/// paper's in PyTorch: Scripts/family/check_pythae.py.
@Suite struct JointVAETests {
    @Test func theCapacitiesRiseToTheirFloorsAndCeilings() {
        let s = JointCode(categories: 4, continuousCapacity: 6, discreteCapacity: 5, gamma: 30, warmupEpochs: 2)
        #expect(s.capacities(epoch: 1).continuous == 2)
        #expect(abs(s.capacities(epoch: 9).discrete - Float(Foundation.log(4.0))) < 1e-6, "C_c ≤ log K")
        #expect(s.capacities(epoch: nil).continuous == 6)
    }

    @Test func theLossGradientMatchesFiniteDifferences() {
        var c = ModelConfig(kind: .jointvae)
        (c.hidden, c.latent, c.activation) = ([6], 5, .tanh)
        c.joint = JointCode(categories: 3, continuousCapacity: 0.5, discreteCapacity: 0.2, gamma: 3)
        var rng = RandomGenerator(seed: 4)
        let model = JointAutoencoder(c, rng: &rng)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([5, 784], seed: 6, low: 0, high: 1))
        func loss() -> Double {
            var r = RandomGenerator(seed: 3)
            return Double(model.loss(batch, rng: &r).value)
        }
        var r = RandomGenerator(seed: 3)
        parameters.zeroGrad()
        model.loss(batch, rng: &r).total.backward()
        Support.expectLargestGradientsMatch(parameters, loss)
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "jointvae", "--categories", "4", "--capacity", "3", "--discrete-capacity", "1",
            "--capacity-weight", "20", "--capacity-epochs", "2", "--temperature", "0.5", "--hidden", "32",
            "--latent", "7", "--epochs", "2", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "jointvae" && metrics["test_kl_discrete"] != nil, "\(metrics)")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["interpolate", run, "--from", "0", "--to", "1", "--out", dir.appendingPathComponent("i.png").path],
        ])
        let base = ["--model", "jointvae", "--latent", "7"]
        let model = base + ["--categories", "4"]
        try Support.expectTrainingRefused([
            (base + ["--categories", "7"], "--categories"), (base + ["--categories", "1"], "--categories"),
            (model + ["--capacity", "-1"], "--capacity"),
            (model + ["--discrete-capacity", "inf"], "--discrete-capacity"),
            (model + ["--capacity-weight", "nan"], "--capacity-weight"),
            (model + ["--temperature", "0"], "--temperature"),
            (model + ["--capacity-epochs", "-2"], "--capacity-epochs"),
            (model + ["--temperature-min", "0.1"], "--temperature-min"),
            (["--model", "vae", "--discrete-capacity", "1"], "--discrete-capacity"),
        ])
        try Support.expectRefused([(["export", run, "--onnx", dir.appendingPathComponent("onnx").path], "jointvae")])
    }
}
