import Foundation
import Latent
import Testing

/// The VAE-GAN: its three losses each reach only their own network (finite differences of each loss's parts), the
/// equilibrium gate holds the right group, a held Adam group stands still and keeps its own step count, a resumed
/// run continues bit for bit, and every verb and bad flag through the CLI. Its loss against Pythae's own `VAEGAN`:
/// Scripts/family/check_pythae.py.
@Suite struct VAEGANTests {
    static let weight: Float = 0.9

    static func model(featureLayer: Int) -> VAEGANAutoencoder {
        var c = ModelConfig(kind: .vaegan)
        (c.hidden, c.latent, c.adversarialWeight, c.featureLayer) = ([16], 3, weight, featureLayer)
        c.discriminator = DiscriminatorSettings(width: 8, layers: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.9)
        var rng = RandomGenerator(seed: 3)
        return VAEGANAutoencoder(c, rng: &rng)
    }

    /// The encoder gets ∇(KL + R), the decoder ∇((1 − s)·R − s·L_D), the discriminator ∇L_D, where R is the
    /// feature distance and L_D the two cross-entropies: each against central differences of the reported parts,
    /// with the same draws; at a hidden layer's features and at the sigmoid output's (Pythae's default).
    @Test(arguments: [2, 3])
    func eachLossReachesOnlyItsOwnNetwork(featureLayer: Int) throws {
        let model = Self.model(featureLayer: featureLayer), s = Double(Self.weight)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([6, 784], seed: 5, low: 0, high: 1))
        func losses() -> (encoder: Double, decoder: Double, discriminator: Double) {
            var rng = RandomGenerator(seed: 17)
            let l = model.loss(batch, rng: &rng)
            let r = Double(l["reconstruction"]!), kl = Double(l["kl"]!)
            let d = Double(l["discriminator_real"]!) + Double(l["discriminator_prior"]!)
            #expect(abs(Double(l.value) - (kl + (2 - s) * r + (1 - s) * d)) <= 1e-3 * abs(Double(l.value)))
            return (kl + r, (1 - s) * r - s * d, d)
        }
        parameters.zeroGrad()
        var rng = RandomGenerator(seed: 17)
        model.loss(batch, rng: &rng).total.backward()
        let decoder = try #require(parameters.range(ofPrefix: "decoder"))
        let discriminator = try #require(parameters.range(ofPrefix: "discriminator"))
        func largest(_ range: Range<Int>, _ k: Int) -> [Int] {
            Array(range.sorted { abs(parameters.grads.data[$0]) > abs(parameters.grads.data[$1]) }.prefix(k))
        }
        let h: Float = 1e-2
        let sides: [(String, Range<Int>)] = [
            ("encoder", 0..<decoder.lowerBound), ("decoder", decoder), ("discriminator", discriminator),
        ]
        for (side, range) in sides {
            for i in largest(range, 5) {
                let old = parameters.values.data[i]
                parameters.values.data[i] = old + h
                let up = losses()
                parameters.values.data[i] = old - h
                let down = losses()
                parameters.values.data[i] = old
                let difference =
                    switch side {
                    case "encoder": up.encoder - down.encoder
                    case "decoder": up.decoder - down.decoder
                    default: up.discriminator - down.discriminator
                    }
                let numeric = difference / Double(2 * h), analytic = Double(parameters.grads.data[i])
                #expect(
                    abs(numeric - analytic) <= 2e-2 * abs(analytic) + 2e-3,
                    "\(side) parameter \(i): \(analytic) vs \(numeric)")
            }
        }
    }

    /// Pythae's gate, from the mean cross-entropies of real pictures and of prior pictures (equilibrium 0.68,
    /// margin 0.4).
    @Test func theGateHoldsTheNetworkThatIsAhead() {
        let model = Self.model(featureLayer: 2)
        func held(_ real: Float, _ prior: Float) -> [String] {
            model.heldGroups(parts: [("discriminator_real", real * 10), ("discriminator_prior", prior * 10)], rows: 10)
        }
        #expect(held(0.2, 0.7) == ["discriminator"])
        #expect(held(0.7, 0.25) == ["discriminator"])
        #expect(held(1.2, 0.7) == ["decoder"])
        #expect(held(0.7, 0.7) == [])
        #expect(held(0.2, 1.2) == [], "when both would wait, both train")
    }

    /// A held group's parameters and moments stand still and its step count waits: afterwards it moves as an Adam
    /// over it alone that skipped that step.
    @Test func aHeldGroupStandsStillAndKeepsItsOwnStepCount() throws {
        func layers() -> Sequential {
            var rng = RandomGenerator(seed: 1)
            return Sequential([Linear(3, 4, rng: &rng), Linear(4, 2, rng: &rng)])
        }
        let (grouped, first, second) = (layers(), layers(), layers())
        let adam = try Adam(ParameterSet(grouped), learningRate: 1e-2)
        let span = try #require(adam.parameters.range(ofPrefix: "1"))
        try adam.addGroup(span, learningRate: 0.1, beta1: 0.5, beta2: 0.9)
        let a = try Adam(ParameterSet(first.layers[0]), learningRate: 1e-2)
        let b = try Adam(ParameterSet(second.layers[1]), learningRate: 0.1, beta1: 0.5, beta2: 0.9)
        #expect(!adam.hold(groupOver: 0..<2), "no group spans 0..<2")
        for step in 0..<4 {
            let g = Support.random([adam.parameters.count], seed: UInt64(step + 40))
            adam.parameters.grads.copy(from: g)
            a.parameters.grads.copy(from: g.rows(0..<a.parameters.count))
            b.parameters.grads.copy(from: g.rows(a.parameters.count..<g.count))
            let holding = step == 1
            if holding { #expect(adam.hold(groupOver: span)) }
            let before = adam.parameters.values.rows(span).array
            adam.step(GradientSum(adam.parameters.grads), threads: 2)
            a.step()
            if holding {
                #expect(adam.parameters.values.rows(span).array == before)
            } else {
                b.step()
            }
        }
        #expect(adam.parameters.values.array == a.parameters.values.array + b.parameters.values.array)
        #expect(adam.stepCount == 4 && adam.groups[0].steps == 3 && b.stepCount == 3)
    }

    @Test func everyVerbWorksResumeContinuesAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory("verbs-vaegan"), run = dir.appendingPathComponent("run").path
        let small = [
            "train", "--model", "vaegan", "--adversarial-weight", "0.4", "--discriminator-width", "64",
            "--discriminator-lr", "1e-3", "--gan-margin", "0.2", "--hidden", "32", "--latent", "3", "--limit", "500",
            "--seed", "5", "--no-progress",
        ]
        #expect(try Support.runLatent(small + ["--epochs", "3", "--out", run]).status == 0)
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "vaegan" && metrics["test_discriminator_prior"] != nil, "\(metrics)")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["interpolate", run, "--from", "0", "--to", "1", "--out", dir.appendingPathComponent("i.png").path],
            ["plot", "traversal", run, "--image", "3", "--out", dir.appendingPathComponent("t.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        // The gate held some steps (a margin of 0.2 closes it often): the decoder's and the discriminator's own
        // step counts are saved, and a resumed run continues bit for bit.
        let part = dir.appendingPathComponent("part").path
        #expect(try Support.runLatent(small + ["--epochs", "2", "--out", part]).status == 0)
        let state = try String(
            contentsOf: URL(fileURLWithPath: part).appendingPathComponent(TrainingState.fileName), encoding: .isoLatin1)
        #expect(state.contains("adam_group_steps"))
        let resumed = try Support.runLatent([
            "train", "--resume", part, "--epochs", "3", "--limit", "500", "--no-progress",
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try Support.expectSameModel(run, part, "weights after 2 + 1 epochs equal those after 3")
        let model = ["--model", "vaegan"]
        try Support.expectTrainingRefused([
            (model + ["--adversarial-weight", "1"], "--adversarial-weight"),
            (model + ["--adversarial-weight", "nan"], "--adversarial-weight"),
            (model + ["--feature-layer", "0"], "--feature-layer"),
            (model + ["--feature-layer", "3"], "--feature-layer"),
            (model + ["--gan-equilibrium", "0"], "--gan-equilibrium"),
            (model + ["--gan-equilibrium", "inf"], "--gan-equilibrium"),
            (model + ["--gan-margin", "-1"], "--gan-margin"), (model + ["--gan-margin", "nan"], "--gan-margin"),
            (model + ["--discriminator-lr", "inf"], "--discriminator-lr"), (model + ["--beta", "4"], "--beta"),
            (["--model", "vae", "--gan-margin", "0.3"], "--gan-margin"),
            (["--model", "aae", "--feature-layer", "1"], "--feature-layer"),
        ])
    }
}
