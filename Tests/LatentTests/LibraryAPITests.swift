import Foundation
import Latent
import Testing

/// The Swift API as a PyTorch user meets it: labelled initialisers, `Adam(model)`, `dataset.batches`, typed
/// loading, and packing that cannot detach a model from its optimiser.
@Suite struct LibraryAPITests {
    static let test = try! MNIST.load(.test).prefix(600)

    static func meanLoss(_ vae: VariationalAutoencoder, on data: Dataset) -> Double {
        Evaluation.evaluate(vae, on: data, seed: 1).loss
    }

    /// The trap the review reproduced: a second `ParameterSet(model)` (even to count parameters) used to rebind
    /// the model to new buffers, so the optimiser trained a copy and the loss never moved.
    @Test func asecondPackCannotDetachTheModelFromItsOptimiser() throws {
        var rng = RandomGenerator(seed: 1)
        let vae = VariationalAutoencoder(inputSize: 784, hidden: [64], latent: 8, rng: &rng)
        let adam = try Adam(vae, learningRate: 1e-3)
        let again = ParameterSet(vae)
        #expect(again.count == vae.parameterCount)
        #expect(again.values.data == adam.parameters.values.data, "the second set views the same storage")
        #expect(vae.parameters[0].value.data == adam.parameters.values.data, "the model still reads Adam's buffer")
        let before = Self.meanLoss(vae, on: Self.test)
        for batch in Self.test.batches(size: 50, shuffle: true, rng: &rng) {
            adam.zeroGrad()
            let loss = vae.loss(batch, rng: &rng)
            loss.total.backward()
            adam.step()
            _ = ParameterSet(vae)  // every step: still no effect on training
        }
        let after = Self.meanLoss(vae, on: Self.test)
        #expect(after < before - 50, "an epoch of Adam moves the loss: \(before) → \(after)")
    }

    @Test func batchesCoverTheDataOnceInOrderOrShuffled() {
        let data = Self.test.prefix(130)
        let ordered = Array(data.batches(size: 50).map { ($0.count, $0.labels) })
        #expect(ordered.map(\.0) == [50, 50, 30])
        #expect(ordered.flatMap(\.1) == data.labels.map(Int.init))
        var a = RandomGenerator(seed: 3), b = RandomGenerator(seed: 3)
        let first = data.batches(size: 50, shuffle: true, rng: &a).flatMap(\.labels)
        let second = data.batches(size: 50, shuffle: true, rng: &b).flatMap(\.labels)
        #expect(first == second, "same seed, same order")
        #expect(first.sorted() == data.labels.map(Int.init).sorted() && first != data.labels.map(Int.init))
    }

    @Test func labelledInitialisersMatchTheirConfigurations() {
        var r1 = RandomGenerator(seed: 5), r2 = RandomGenerator(seed: 5)
        let labelled = VariationalAutoencoder(inputSize: 784, hidden: [32], latent: 4, activation: .tanh, rng: &r1)
        var c = ModelConfig(kind: .vae)
        (c.hidden, c.latent, c.activation) = ([32], 4, .tanh)
        let configured = VariationalAutoencoder(c, rng: &r2)
        #expect(labelled.config == configured.config)
        #expect(labelled.parameters.map(\.value.array) == configured.parameters.map(\.value.array))
        var r3 = RandomGenerator(seed: 5)
        let ae = Autoencoder(inputSize: 10, hidden: [6], latent: 2, rng: &r3)
        #expect(
            ae.config.inputSize == 10 && ae.config.kind == .ae && ae.encode(Tensor(zeros: [3, 10])).shape == [3, 2])
    }

    /// SGD (not only Adam) drives the fast data-parallel step: the workers' gradient buffers reach its update.
    @Test(arguments: [TrainingEngine.graph, .planned])
    func anyOptimizerTrainsThroughTheDataParallelStep(_ engine: TrainingEngine) throws {
        var rng = RandomGenerator(seed: 2)
        let vae = VariationalAutoencoder(inputSize: 784, hidden: [32], latent: 4, rng: &rng)
        let sgd = try SGD(vae, learningRate: 0.01)
        let step = try TrainingStep(vae, optimizer: sgd, threads: 2, batchSize: 64, engine: engine)
        // The graph's second worker has a gradient buffer of its own, in the step's sum; MLP plans share one.
        #expect(step.gradients.others.count == (engine == .graph ? 1 : 0))
        var batches = Self.test.batches(size: 64).makeIterator()
        var noise = RandomGenerator(seed: 9)
        let loss = step.lossAndGradients(batches.next()!, rng: &noise)
        // The step's terms (what TensorBoard's train/reconstruction and train/kl show) add up to its loss.
        let terms = step.lastTerms
        #expect(terms.map(\.name) == ["reconstruction", "kl"] && terms.allSatisfy { $0.value > 0 })
        #expect(abs(terms.map(\.value).reduce(0, +) - loss) <= 1e-5 * loss, "\(terms) against \(loss)")
        let gradient = step.gradients.total(shape: sgd.parameters.grads.shape)
        let before = sgd.parameters.values.copy()
        step.update()
        let expected = before - gradient.scaled(by: 0.01)
        #expect(Support.relativeError(sgd.parameters.values, expected) < 1e-5)
        #expect(Support.relativeError(sgd.parameters.values, before) > 1e-6, "the step moved the weights")
    }

    @Test func typedLoadsNameWhatTheCheckpointHolds() throws {
        var rng = RandomGenerator(seed: 1)
        let ae = Autoencoder(inputSize: 784, hidden: [16], latent: 2, rng: &rng)
        let dir = Support.temporaryDirectory()
        try ModelStore.save(ae, seed: 1, epochs: 1, to: dir)
        let loaded = try ModelStore.loadReconstructing(dir)
        #expect(loaded.config == ae.config && loaded.model.encode(Tensor(zeros: [1, 784])).shape == [1, 2])
        #expect { try ModelStore.loadVAE(dir) } throws: { "\($0)".contains("holds a ae model") }
        #expect { try ModelStore.loadClassifier(dir) } throws: { "\($0)".contains("holds a ae model") }
    }

    /// The anomaly "recon" score is the training loss's reconstruction term, example by example (it used to
    /// clamp probabilities, disagreeing on saturated pixels).
    @Test func reconstructionScoreIsTheTrainingReconstructionLoss() throws {
        var rng = RandomGenerator(seed: 4)
        let ae = Autoencoder(inputSize: 784, hidden: [32], latent: 4, rng: &rng)
        // Saturate the output: large logits where the clamped form would differ.
        for p in ae.decoder.parameters { p.value.scale(by: 40) }
        let data = Self.test.prefix(5)
        let scores = try AnomalyScores.scores(ae, on: data, kind: .recon)
        for i in 0..<data.count {
            let loss = ae.loss(Batch(x: data.batch(i..<(i + 1))), rng: &rng)
            #expect(abs(scores[i] - Double(loss.value)) / Double(loss.value) < 1e-5, "example \(i)")
        }
    }

    @Test func libraryErrorsNameThePropertyNotAFlag() {
        var c = ModelConfig(kind: .vae)
        c.hidden = [0]
        #expect { try c.validate() } throws: { ($0 as? LatentError)?.field == "hidden" && !"\($0)".contains("--") }
        var o = TrainingOptions(outputDirectory: URL(fileURLWithPath: "/tmp"))
        o.learningRate = -1
        #expect { try o.validate() } throws: { ($0 as? LatentError)?.field == "learningRate" }
    }

    /// A composite states its children once; its parameters, buffers, training mode and layer walks all follow,
    /// so a BatchNorm in a child cannot drop out of one of them (issue 36).
    final class Pair: Module {
        let linear: Linear, norm = BatchNorm(3), extra = Parameter(Tensor([5], shape: [1]))
        init(rng: inout RandomGenerator) { linear = Linear(2, 3, rng: &rng) }
        var namedChildren: [(name: String, module: any Module)] { [("a", linear), ("", Sequential([norm]))] }
        var ownParameters: [(name: String, parameter: Parameter)] { [("scale", extra)] }
    }

    @Test func aModuleStatesItsTreeOnceAndTheRestFollows() {
        var rng = RandomGenerator(seed: 1)
        let m = Pair(rng: &rng)
        #expect(m.namedParameters.map(\.name) == ["a.weight", "a.bias", "0.weight", "0.bias", "scale"])
        #expect(m.namedBuffers.map(\.name) == ["0.running_mean", "0.running_var"])
        #expect(m.layers(of: BatchNorm.self).count == 1 && m.norm.isTraining)
        m.setTraining(false)
        #expect(!m.norm.isTraining)
        #expect(ParameterSet(m).values.count == 2 * 3 + 3 + 3 + 3 + 1)
    }
}
