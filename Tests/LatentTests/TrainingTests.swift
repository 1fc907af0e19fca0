import Foundation
import Latent
import Testing

@Suite(.serialized) struct TrainingTests {
    static func train(seed: UInt64, dir: URL, epochs: Int = 2) throws -> [EpochMetrics] {
        let train = try MNIST.load(.train).prefix(2000), test = try MNIST.load(.test).prefix(500)
        var rng = RandomGenerator(seed: seed, stream: .initialization)
        var config = ModelConfig(kind: .vae)
        config.hidden = [64]
        config.latent = 4
        let vae = makeModel(config, rng: &rng)
        var options = TrainingOptions(outputDirectory: dir)
        options.epochs = epochs
        options.batchSize = 64
        options.seed = seed
        return try Trainer(options: options) { _ in }.run(vae, train: train, test: test)
    }

    @Test func trainingLowersTheLossAndWritesEverything() throws {
        let dir = Support.temporaryDirectory()
        let m = try Self.train(seed: 1, dir: dir)
        #expect(m.count == 2)
        #expect(m[1].trainLoss < m[0].trainLoss && m[1].testLoss < m[0].testLoss)
        #expect(m[0].testLoss < 543.4 * 0.6)  // well below the untrained 784·ln 2 ≈ 543 nats
        for name in ["model.safetensors", "metrics.jsonl", "samples.png", "reconstructions.png"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)")
        }
        let lines = try EpochMetrics.read(dir.appendingPathComponent("metrics.jsonl"))
        #expect(lines.map(\.testLoss) == m.map(\.testLoss))
        // Evaluating the saved model reproduces the last epoch's test loss exactly (same noise stream).
        let loaded = try ModelStore.load(dir)
        let eval = Evaluation.evaluate(loaded.model, on: try MNIST.load(.test).prefix(500), seed: loaded.seed)
        #expect(eval.loss == m[1].testLoss)
    }

    @Test func sameSeedSameNumbers() throws {
        let a = try Self.train(seed: 7, dir: Support.temporaryDirectory(), epochs: 1)
        let b = try Self.train(seed: 7, dir: Support.temporaryDirectory(), epochs: 1)
        let c = try Self.train(seed: 8, dir: Support.temporaryDirectory(), epochs: 1)
        #expect(a[0].trainLoss == b[0].trainLoss && a[0].testLoss == b[0].testLoss)
        #expect(a[0].trainLoss != c[0].trainLoss)
    }
}

@Suite struct DataParallelTests {
    @Test func splitGradientsEqualWholeBatchGradients() throws {
        // An AE draws no noise, so two workers on half batches must give the whole batch's gradient.
        var c = ModelConfig(kind: .ae)
        c.hidden = [32]
        c.latent = 4
        var rng = RandomGenerator(seed: 1)
        let model = makeModel(c, rng: &rng)
        let parameters = ParameterSet(model)
        let batch = FamilyTests.batch
        parameters.zeroGrad()
        let whole = model.loss(batch, rng: &rng)
        whole.total.backward()
        let expected = parameters.grads.copy()
        let parallel = DataParallel(model, parameters: parameters, workers: 2)
        let split = parallel.lossAndGradients(batch, rng: &rng)
        #expect(abs(split.total - whole.total.value.scalar) / whole.total.value.scalar < 1e-5)
        #expect(Support.relativeError(parameters.grads, expected) < 1e-5)
        // Unreduced, Adam sums the replica's share itself: the same update either way.
        _ = parallel.lossAndGradients(batch, rng: &rng, reduce: false)
        #expect(Support.relativeError(parameters.grads + parallel.replicaGradients[0], expected) < 1e-5)
    }

    @Test func twoThreadTrainingIsReproducible() throws {
        func run() throws -> [EpochMetrics] {
            let train = try MNIST.load(.train).prefix(1000), test = try MNIST.load(.test).prefix(200)
            var rng = RandomGenerator(seed: 3, stream: .initialization)
            var c = ModelConfig(kind: .vae)
            c.hidden = [32]
            c.latent = 4
            var options = TrainingOptions(outputDirectory: Support.temporaryDirectory())
            options.epochs = 1
            options.batchSize = 50
            options.seed = 3
            options.threads = 2
            return try Trainer(options: options) { _ in }.run(makeModel(c, rng: &rng), train: train, test: test)
        }
        let a = try run(), b = try run()
        #expect(a[0].trainLoss == b[0].trainLoss && a[0].testLoss == b[0].testLoss)
    }
}
