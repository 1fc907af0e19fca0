import Foundation
import Latent
import Testing

/// The β-VAE with an annealed capacity: its loss against Pythae's `DisentangledBetaVAE.loss_function` at three
/// epochs, the |KL − C| op against finite differences, the epoch reaching the loss in training, and every verb
/// and bad flag.
@Suite struct AnnealedVAETests {
    @Test(arguments: [1, 3, 40])
    func theLossIsPythaesAtEachEpoch(epoch: Int) throws {
        let f = try Support.fixture("pythae.safetensors")
        func t(_ key: String) throws -> Tensor { try #require(f["annealed.\(key)"], "no \(key)") }
        let (x, n) = (try t("x"), Float(6))
        let capacity = Capacity(weight: 4, nats: 8, warmupEpochs: 5)
        let bce = Variable.binaryCrossEntropyWithLogits(Variable(try t("logits")), targets: x, reduction: .sum)
        let gap = Variable.gaussianKLDistance(
            mean: Variable(try t("mean")), logVariance: Variable(try t("logvar")), capacity: capacity.at(epoch: epoch))
        let ours = (bce.value.scalar + 4 * gap.value.scalar) / n, pythae = try t("loss.\(epoch)").data[0]
        #expect(abs(ours - pythae) <= 1e-5 * pythae, "epoch \(epoch): \(ours) vs Pythae \(pythae)")
    }

    @Test func theGapsGradientMatchesFiniteDifferences() {
        let inputs = [Support.random([5, 3], seed: 51, low: -2, high: 2), Support.random([5, 3], seed: 52)]
        let error = GradientCheck.maxError(inputs: inputs) { v in
            Variable.gaussianKLDistance(mean: v[0], logVariance: v[1], capacity: 1.5)
        }
        #expect(error < 2e-2, "\(error)")
    }

    @Test func theCapacityRisesWithTheBatchsEpoch() throws {
        var c = ModelConfig(kind: .annealedvae)
        (c.hidden, c.latent, c.capacity) = ([16], 3, Capacity(weight: 2, nats: 30, warmupEpochs: 9))
        var rng = RandomGenerator(seed: 1)
        let model = AnnealedCapacityAutoencoder(c, rng: &rng)
        let x = Support.random([4, 784], seed: 2, low: 0, high: 1), noise = Support.random([4, 3], seed: 3)
        let gaps = [1, 5, 10, nil].map { epoch in
            model.loss(Batch(x: x, epoch: epoch), noise: noise)["capacity_gap"] ?? -1
        }
        // The codes' KL is far below C: the gap is γ·Σ (C(t) − KL), C(t) = 30·min(t/10, 1), full C outside
        // training.
        let kl = try #require(model.loss(Batch(x: x), noise: noise)["kl"])
        for (gap, nats) in zip(gaps, [Float(3), 15, 30, 30]) {
            #expect(abs(gap - 2 * (4 * nats - kl)) <= 1e-3 * gap, "\(gaps) vs KL \(kl)")
        }
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "annealedvae", "--capacity", "10", "--capacity-epochs", "1", "--hidden", "32",
            "--latent", "3", "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "annealedvae" && metrics["test_capacity_gap"] != nil)
        let sample = try Support.runLatent(["sample", run, "--out", dir.appendingPathComponent("s.png").path])
        #expect(sample.status == 0, "\(sample.stderr)")
        let model = ["--model", "annealedvae"]
        try Support.expectTrainingRefused([
            (model + ["--capacity", "-1"], "--capacity"), (model + ["--capacity-weight", "inf"], "--capacity-weight"),
            (model + ["--capacity-epochs", "-2"], "--capacity-epochs"), (model + ["--beta", "4"], "--beta"),
            (["--model", "vae", "--capacity", "3"], "--capacity"),
        ])
    }
}
