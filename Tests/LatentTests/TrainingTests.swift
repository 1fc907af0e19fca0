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
        // Unreduced, the optimiser sums the replica's share itself (`GradientSum`): the same gradient either way.
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

/// A Gaussian likelihood on a standardised table: the mean must reach values outside (0, 1). Before the identity
/// mean, a VAE on such data collapsed (test squared error 6.1 per row of 6 unit-variance features: the data's
/// whole variance) and an AE reached only 3.5.
@Suite struct GaussianTableTests {
    /// 600 rows of 6 features on a plane (two factors) plus a little noise, labelled by the first factor's sign.
    static func plane() throws -> (train: Dataset, test: Dataset) {
        var rng = RandomGenerator(seed: 4)
        let mixing = (0..<12).map { _ in rng.normal() }
        var values: [Float] = [], labels: [UInt8] = []
        for _ in 0..<600 {
            let (a, b) = (rng.normal(), rng.normal())
            values += (0..<6).map { 3 * (a * mixing[$0] + b * mixing[6 + $0]) + 0.1 * rng.normal() + 5 }
            labels.append(a > 0 ? 1 : 0)
        }
        return (
            try Dataset(name: "plane", values: Array(values[..<3240]), labels: Array(labels[..<540]), features: 6),
            try Dataset(name: "plane-test", values: Array(values[3240...]), labels: Array(labels[540...]), features: 6)
        )
    }

    @Test(arguments: [ModelKind.ae, .vae])
    func aStandardisedTableIsReconstructedOnTheRealLine(_ kind: ModelKind) throws {
        let (train, test) = try Self.plane()
        var c = ModelConfig(kind: kind)
        (c.hidden, c.latent, c.likelihood) = ([32], 2, .gaussian)
        let data = try TrainingData.prepare(train: train, test: test, config: &c, scaling: .standard)
        #expect(c.outputMean == .identity)
        var rng = RandomGenerator(seed: 1, stream: .initialization)
        let model = makeModel(c, rng: &rng)
        var options = TrainingOptions(outputDirectory: Support.temporaryDirectory("gaussian-table-\(kind)"))
        (options.epochs, options.batchSize, options.threads) = (40, 32, 1)
        try Trainer(options: options).run(model, data: data)
        let mse = try #require(Evaluation.metrics(model, on: data.test, seed: 1).meanSquaredError)
        #expect(mse < 1, "\(kind): test squared error \(mse) per row of 6 standardised features")
        let loaded = try ModelStore.load(options.outputDirectory)
        #expect(loaded.config.outputMean == .identity)
        // Min-max scaling keeps the data in [0, 1], where the sigmoid mean is the natural one.
        var m = ModelConfig(kind: kind)
        (m.hidden, m.latent, m.likelihood) = ([32], 2, .gaussian)
        _ = try TrainingData.prepare(train: train, test: test, config: &m, scaling: .minmax)
        #expect(m.outputMean == .sigmoid)
        m.likelihood = .bernoulli
        m.outputMean = .identity
        #expect(throws: LatentError.self) { try m.validate() }
    }
}
