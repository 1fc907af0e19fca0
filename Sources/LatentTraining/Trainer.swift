import Foundation
import LatentCheckpoint
import LatentData
import LatentModels
import LatentNN
import LatentOptim
import LatentRender
import LatentTensor

/// The training loop: seed → data → model → optimiser → for each epoch {train; test; save checkpoint,
/// metrics and pictures}. Reads top to bottom like pytorch/examples' vae/main.py.
public struct Trainer {
    public let options: TrainingOptions
    /// Receives each human-readable line (epoch summaries, file names).
    public let log: (String) -> Void

    public init(options: TrainingOptions, log: @escaping (String) -> Void) {
        self.options = options
        self.log = log
    }

    /// Trains `model` on `train`, evaluating on `test` after every epoch; returns the metrics.
    @discardableResult
    public func run(_ model: VAE, train: ImageDataset, test: ImageDataset) throws -> [EpochMetrics] {
        try options.validate()
        let out = options.outputDirectory
        try AtomicFile.makeDirectory(out)
        let parameters = ParameterSet(model)
        let optimizer = try Adam(parameters, learningRate: options.learningRate)
        var shuffleRNG = RandomGenerator(seed: options.seed, stream: RandomStream.shuffling.rawValue)
        var noiseRNG = RandomGenerator(seed: options.seed, stream: RandomStream.noise.rawValue)
        let progress = ProgressReporter(live: options.progressBar)
        let batchBuffer = Tensor(uninitialized: [options.batchSize, model.inputSize])
        var history: [EpochMetrics] = []

        for epoch in 1...options.epochs {
            let order = BatchOrder(count: train.count, batchSize: options.batchSize, shuffle: true, rng: &shuffleRNG)
            var total = 0.0, seen = 0
            let start = Date()
            for (b, indices) in order.enumerated() {
                let x = indices.count == options.batchSize ? batchBuffer : batchBuffer.rows(0..<indices.count)
                train.fill(x, indices: indices)
                optimizer.zeroGrad()
                let loss = model.loss(x, rng: &noiseRNG)
                loss.total.backward()
                optimizer.step()
                let value = Double(loss.total.value.scalar)
                guard value.isFinite else {
                    throw TrainingError("loss became \(value) at epoch \(epoch), batch \(b + 1); try a lower --lr")
                }
                total += value
                seen += indices.count
                progress.update(epoch: epoch, epochs: options.epochs, batch: b + 1, batches: order.batchCount,
                                loss: total / Double(seen), imagesPerSecond: Double(seen) / Date().timeIntervalSince(start))
            }
            let seconds = Date().timeIntervalSince(start)
            let eval = Evaluation.evaluate(model, on: test, seed: options.seed)
            let row = EpochMetrics(epoch: epoch, train_loss: total / Double(seen), test_loss: eval.loss,
                                   images_per_second: Double(seen) / seconds, seconds: seconds, test_terms: eval.terms)
            history.append(row)
            progress.clear()
            let parts = eval.terms.sorted { $0.key > $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
            log(String(format: "epoch %d/%d  train %.4f  test %.4f (%@)  %.0f images/s  %.1f s",
                       epoch, options.epochs, row.train_loss, row.test_loss, parts, row.images_per_second, seconds))
            try ModelStore.save(model, seed: options.seed, epochs: epoch, to: out)
            try EpochMetrics.write(history, to: out.appendingPathComponent("metrics.jsonl"))
        }
        try writePictures(model, test: test)
        log("wrote \(out.path)/{model.safetensors, metrics.jsonl, samples.png, reconstructions.png}")
        return history
    }

    /// samples.png: an 8×8 grid of prior samples; reconstructions.png: test digits above their reconstructions.
    public func writePictures(_ model: VAE, test: ImageDataset) throws {
        var rng = RandomGenerator(seed: options.seed, stream: RandomStream.pictures.rawValue)
        let h = model.config.imageHeight, w = model.config.imageWidth
        let samples = model.sample(count: 64, rng: &rng)
        try AtomicFile.write(try ImageGrid.png(samples, height: h, width: w, columns: 8, scale: 3),
                             to: options.outputDirectory.appendingPathComponent("samples.png"))
        try AtomicFile.write(try ImageGrid.png(Pictures.reconstructionRows(model, test: test, columns: 16, pairs: 2, rng: &rng),
                                               height: h, width: w, columns: 16, scale: 3),
                             to: options.outputDirectory.appendingPathComponent("reconstructions.png"))
    }
}

/// Image layouts shared by training and the CLI.
public enum Pictures {
    /// `pairs` × (a row of `columns` test images, then the row of their reconstructions).
    public static func reconstructionRows(_ model: VAE, test: ImageDataset, columns: Int, pairs: Int,
                                          rng: inout RandomGenerator) -> Tensor {
        let n = min(columns * pairs, test.count)
        let x = test.batch(0..<n)
        let r = model.reconstruct(x, rng: &rng)
        let f = test.featureCount
        let out = Tensor(zeros: [2 * pairs * columns, f])
        for k in 0..<n {
            let pair = k / columns, col = k % columns
            (out.data + ((2 * pair) * columns + col) * f).update(from: x.data + k * f, count: f)
            (out.data + ((2 * pair + 1) * columns + col) * f).update(from: r.data + k * f, count: f)
        }
        return out
    }
}
