import Foundation
import Latent
import Testing

/// The kinds that train a discriminator beside their model (FactorVAE, the adversarial AE): each of their two losses
/// reaches only its own parameters (finite differences of each part), the discriminator trains at its own rate
/// (Adam's parameter groups), its size is counted from the configuration, and every verb and bad flag through the
/// CLI. Their losses against Pythae's own `FactorVAE` and `Adversarial_AE`: Scripts/family/check_pythae.py.
@Suite struct DiscriminatorKindsTests {
    static func model(_ kind: ModelKind) -> any TrainableModel {
        var c = ModelConfig(kind: kind)
        (c.hidden, c.latent, c.factorGamma) = ([16], 3, kind == .factorvae ? 5 : nil)
        if kind == .aae { c.adversarialWeight = 3 }
        c.discriminator = DiscriminatorSettings(width: 8, layers: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.9)
        var rng = RandomGenerator(seed: 3)
        return makeModel(c, rng: &rng)
    }

    /// The model's own objective of the parts `loss` reports (the discriminator's is "discriminator").
    static func ownObjective(_ kind: ModelKind, _ l: LossTerms) -> Double {
        kind == .factorvae
            ? Double(l["reconstruction"]!) + Double(l["kl"]!) + 5 * Double(l["total_correlation"]!)
            : Double(l["reconstruction"]!) + 3 * Double(l["adversarial"]!)
    }

    /// The model's parameters get the gradient of its objective (FactorVAE: reconstruction + KL + γ·TC; AAE:
    /// reconstruction + α·adversarial), the discriminator held fixed; the discriminator's the gradient of its
    /// cross-entropy, the codes held fixed: each against central differences of its parts, with the same draws.
    @Test(arguments: [ModelKind.factorvae, .aae])
    func eachLossReachesOnlyItsOwnParameters(_ kind: ModelKind) throws {
        let model = Self.model(kind)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([6, 784], seed: 5, low: 0, high: 1))
        func parts() -> (vae: Double, discriminator: Double) {
            var rng = RandomGenerator(seed: 17)
            let l = model.loss(batch, rng: &rng)
            return (Self.ownObjective(kind, l), Double(l["discriminator"]!))
        }
        parameters.zeroGrad()
        var rng = RandomGenerator(seed: 17)
        model.loss(batch, rng: &rng).total.backward()
        let split = try #require(parameters.range(ofPrefix: "discriminator"))
        #expect(split.upperBound == parameters.count, "the discriminator is packed last")
        // The largest gradients of each side (so float rounding of the loss is small beside them), and a few that
        // must be 0: the discriminator's loss does not reach the encoder, nor γ·TC the discriminator.
        func largest(_ range: Range<Int>, _ k: Int) -> [Int] {
            Array(range.sorted { abs(parameters.grads.data[$0]) > abs(parameters.grads.data[$1]) }.prefix(k))
        }
        let h: Float = 1e-2
        for (range, isDiscriminator) in [(0..<split.lowerBound, false), (split, true)] {
            for i in largest(range, 6) {
                let old = parameters.values.data[i]
                parameters.values.data[i] = old + h
                let up = parts()
                parameters.values.data[i] = old - h
                let down = parts()
                parameters.values.data[i] = old
                let own = isDiscriminator ? up.discriminator - down.discriminator : up.vae - down.vae
                let numeric = own / Double(2 * h), analytic = Double(parameters.grads.data[i])
                #expect(
                    abs(numeric - analytic) <= 2e-2 * abs(analytic) + 1e-2,
                    "\(isDiscriminator ? "discriminator" : "vae") parameter \(i): \(analytic) vs \(numeric)")
            }
        }
    }

    /// Adam's groups: a span with its own learning rate and decays moves as a separate Adam over it would.
    @Test func aParameterGroupTrainsAtItsOwnRate() throws {
        func layers() -> Sequential {
            var rng = RandomGenerator(seed: 1)
            return Sequential([Linear(3, 4, rng: &rng), Linear(4, 2, rng: &rng)])
        }
        let (grouped, first, second) = (layers(), layers(), layers())
        let adam = try Adam(ParameterSet(grouped), learningRate: 1e-2)
        try adam.addGroup(
            try #require(adam.parameters.range(ofPrefix: "1")), learningRate: 0.1, beta1: 0.5, beta2: 0.9)
        let a = try Adam(ParameterSet(first.layers[0]), learningRate: 1e-2)
        let b = try Adam(ParameterSet(second.layers[1]), learningRate: 0.1, beta1: 0.5, beta2: 0.9)
        for step in 0..<3 {
            let g = Support.random([adam.parameters.count], seed: UInt64(step + 40))
            adam.parameters.grads.copy(from: g)
            a.parameters.grads.copy(from: g.rows(0..<a.parameters.count))
            b.parameters.grads.copy(from: g.rows(a.parameters.count..<g.count))
            adam.step(GradientSum(adam.parameters.grads), threads: 2)
            a.step()
            b.step()
        }
        let expected = a.parameters.values.array + b.parameters.values.array
        #expect(adam.parameters.values.array == expected)
    }

    @Test func theDiscriminatorsAreCountedFromTheConfiguration() {
        var c = ModelConfig(kind: .factorvae)
        (c.hidden, c.latent) = ([32], 4)
        var rng = RandomGenerator(seed: 1)
        let model = FactorAutoencoder(c, rng: &rng)
        #expect(Double(model.parameterCount) == c.parameterCount)
        #expect(model.discriminator.parameterCount == 5 * 1000 + 4 * 1000 * 1001 + 1001 * 2)
        c.kind = .aae
        let aae = AdversarialAutoencoder(c, rng: &rng)
        #expect(Double(aae.parameterCount) == c.parameterCount)
        #expect(aae.discriminator.parameterCount == 5 * 256 + 257)
    }

    @Test(arguments: [("factorvae", "--factor-gamma"), ("aae", "--adversarial-weight")])
    func everyVerbWorksAndBadFlagsAreNamed(_ kind: String, _ weightFlag: String) throws {
        let dir = Support.temporaryDirectory("verbs-\(kind)"), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", kind, weightFlag, "0.6", "--discriminator-width", "64",
            "--discriminator-layers", "2", "--discriminator-lr", "1e-3", "--hidden", "32", "--latent", "3",
            "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == kind && metrics["test_discriminator"] != nil, "\(metrics)")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["interpolate", run, "--from", "0", "--to", "1", "--out", dir.appendingPathComponent("i.png").path],
            ["plot", "traversal", run, "--image", "3", "--out", dir.appendingPathComponent("t.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let model = ["--model", kind]
        try Support.expectTrainingRefused([
            (model + [weightFlag, "-1"], weightFlag), (model + [weightFlag, "nan"], weightFlag),
            (model + ["--discriminator-lr", "inf"], "--discriminator-lr"),
            (model + ["--discriminator-lr", "0"], "--discriminator-lr"),
            (model + ["--discriminator-width", "0"], "--discriminator-width"),
            (model + ["--discriminator-layers", "17"], "--discriminator-layers"), (model + ["--beta", "4"], "--beta"),
            (["--model", "vae", weightFlag, "0.3"], weightFlag),
            (["--model", "vae", "--discriminator-lr", "0.1"], "--discriminator-lr"),
        ])
    }
}
