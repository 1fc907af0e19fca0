import Foundation
import LatentCheckpoint
import LatentData
import LatentModels
import LatentNN
import LatentOptim
import LatentRender
import LatentTensor

/// The training loop: seed → data → model → optimiser → for each epoch {train; test; save checkpoint and
/// metrics}, then pictures. Reads top to bottom like pytorch/examples' vae/main.py.
public struct Trainer {
    public let options: TrainingOptions
    /// Receives each human-readable line (epoch summaries, file names).
    public let log: (String) -> Void

    public init(options: TrainingOptions, log: @escaping (String) -> Void) {
        self.options = options
        self.log = log
    }

    /// Trains `model` on `train`, evaluating on `test` after every epoch; returns the metrics. With `resume`
    /// (and the model's weights loaded from the same directory) it continues after `resume.epoch`.
    @discardableResult
    public func run(_ model: any TrainableModel, train: Dataset, test: Dataset, resume: TrainingState? = nil) throws -> [EpochMetrics] {
        try options.validate()
        let out = options.outputDirectory
        try AtomicFile.makeDirectory(out)
        let parameters = ParameterSet(model)
        let optimizer = try Adam(parameters, learningRate: options.learningRate)
        let step = try TrainingStep(model, optimizer: optimizer, threads: options.threads, batchSize: options.batchSize,
                                    engine: options.engine)
        optimizer.clipGradientNorm = options.clipGradientNorm
        log("engine: \(step.description)")
        var shuffleRNG = RandomGenerator(seed: options.seed, stream: RandomStream.shuffling.rawValue)
        var noiseRNG = RandomGenerator(seed: options.seed, stream: RandomStream.noise.rawValue)
        var binarizeRNG = RandomGenerator(seed: options.seed, stream: RandomStream.binarization.rawValue)
        var history: [EpochMetrics] = []
        var firstEpoch = 1
        var warnedCollapse = false
        if let resume {
            guard resume.m.shape == optimizer.m.shape else {
                throw TrainingError("--resume: the saved optimizer state has \(resume.m.count) values, the model \(optimizer.m.count)")
            }
            optimizer.m.data.update(from: resume.m.data, count: resume.m.count)
            optimizer.v.data.update(from: resume.v.data, count: resume.v.count)
            optimizer.restore(stepCount: resume.adamSteps)
            for (name, words) in resume.streams {
                switch name {
                case "shuffling": shuffleRNG = RandomGenerator(state: words)
                case "noise": noiseRNG = RandomGenerator(state: words)
                case "binarization": binarizeRNG = RandomGenerator(state: words)
                default: break
                }
            }
            let metricsURL = out.appendingPathComponent("metrics.jsonl")
            history = FileManager.default.fileExists(atPath: metricsURL.path) ? Array(try EpochMetrics.read(metricsURL).prefix(resume.epoch)) : []
            firstEpoch = resume.epoch + 1
        }
        let progress = ProgressReporter(live: options.progressBar)
        let batchBuffer = Tensor(uninitialized: [options.batchSize, train.featureCount])
        var labelBuffer = [Int](repeating: 0, count: options.batchSize)
        let vae = model as? VariationalAutoencoder
        let warmup = Double(model.config.klWarmupEpochs)

        for epoch in firstEpoch...max(firstEpoch, options.epochs) where epoch <= options.epochs {
            let order = BatchOrder(count: train.count, batchSize: options.batchSize, shuffle: true, rng: &shuffleRNG)
            var total = 0.0, seen = 0
            let start = Date()
            for (b, indices) in order.enumerated() {
                if let vae, warmup > 0 {   // KL weight rises linearly from 0 to β over the warm-up epochs
                    vae.klWeight = model.config.beta * Float(min(1, (Double(epoch - 1) + Double(b) / Double(order.batchCount)) / warmup))
                }
                let x = indices.count == options.batchSize ? batchBuffer : batchBuffer.rows(0..<indices.count)
                train.fill(x, indices: indices)
                if model.config.binarize == .dynamic { binarizeRNG.fillBernoulli(x, probabilities: x) }
                if indices.count == options.batchSize {   // full batches reuse one label array
                    for (j, i) in indices.enumerated() { labelBuffer[j] = Int(train.labels[i]) }
                }
                let batch = Batch(x: x, labels: indices.count == options.batchSize ? labelBuffer : indices.map { Int(train.labels[$0]) })
                let value = Double(step.lossAndGradients(batch, rng: &noiseRNG))
                guard value.isFinite else { throw nonFinite("the loss became \(value)", epoch: epoch, step: b + 1) }
                optimizer.step()
                if let norm = optimizer.lastGradientNorm, !norm.isFinite {
                    throw nonFinite("the gradient norm became \(norm)", epoch: epoch, step: b + 1)
                }
                total += value
                seen += indices.count
                progress.update(epoch: epoch, epochs: options.epochs, batch: b + 1, batches: order.batchCount,
                                loss: total / Double(seen), imagesPerSecond: Double(seen) / Date().timeIntervalSince(start))
            }
            let seconds = Date().timeIntervalSince(start)
            let eval = Evaluation.evaluate(model, on: test, seed: options.seed)
            let row = EpochMetrics(epoch: epoch, train_loss: total / Double(seen), test_loss: eval.loss,
                                   images_per_second: Double(seen) / seconds, seconds: seconds, test_terms: eval.terms,
                                   rss_mb: EpochMetrics.currentRSSMegabytes())
            history.append(row)
            progress.clear()
            let parts = eval.terms.sorted { $0.key > $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
            log(String(format: "epoch %d/%d  train %.4f  test %.4f (%@)  %.0f images/s  %.1f s",
                       epoch, options.epochs, row.train_loss, row.test_loss, parts, row.images_per_second, seconds))
            if let vae, !warnedCollapse, epoch > model.config.klWarmupEpochs, let kl = eval.terms["kl"] {
                let active = Evaluation.activeDimensions(vae, on: test)
                if kl < 0.1 || active == 0 {
                    warnedCollapse = true
                    log(String(format: "warning: posterior collapse: the KL is %.3f nats per image with %d active latent dimensions, so the decoder "
                        + "ignores the code. Remedies: --kl-warmup 10 (anneal the KL in), --free-bits 0.5 (a KL floor per dimension), "
                        + "--beta below 1, or a smaller decoder (--hidden).", kl, active))
                }
            }
            // Checkpoint, then optimizer/RNG state, then metrics, each written atomically: an interruption
            // leaves the previous epoch's complete files or this one's.
            try ModelStore.save(model, seed: options.seed, epochs: epoch, scaling: options.scaling, to: out)
            try TrainingState(epoch: epoch, adamSteps: optimizer.stepCount, m: optimizer.m, v: optimizer.v,
                              streams: ["shuffling": shuffleRNG.state, "noise": noiseRNG.state, "binarization": binarizeRNG.state],
                              batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed,
                              threads: options.threads, clipGradientNorm: options.clipGradientNorm, engine: step.engine).write(to: out)
            try EpochMetrics.write(history, to: out.appendingPathComponent("metrics.jsonl"))
        }
        var pictures = test.isImage ? try writePictures(model, test: test) : []   // a table's rows are not images
        pictures += try writeFigures(model, metrics: history, test: test)
        log("wrote \(out.path)/{\((["model.safetensors", "metrics.jsonl"] + pictures).joined(separator: ", "))}")
        return history
    }

    /// The error for a NaN or infinity: where it happened, what was kept, what usually helps.
    func nonFinite(_ what: String, epoch: Int, step: Int) -> TrainingError {
        let kept = epoch > 1 ? "the checkpoint of epoch \(epoch - 1) in \(options.outputDirectory.path) is kept as the last good one"
            : "no epoch had finished, so nothing was saved"
        let data = options.scaling == nil
            ? "" : " Unscaled features with large values are the usual cause with your own data: train with --scale standard."
        return TrainingError("\(what) at epoch \(epoch), step \(step); \(kept). Try a lower --lr or --clip-grad-norm 10.\(data)")
    }

    /// curves.png always; for a 2-d latent space also latent.png and manifold.png (a CVAE: manifold-K.png per label).
    public func writeFigures(_ model: any TrainableModel, metrics: [EpochMetrics], test: Dataset) throws -> [String] {
        var written: [String] = []
        func write(_ data: Data, _ name: String) throws {
            try AtomicFile.write(data, to: options.outputDirectory.appendingPathComponent(name))
            written.append(name)
        }
        try write(try Figures.curves(metrics, format: .png), "curves.png")
        guard model.config.latent == 2, let rec = model as? any ReconstructingModel else { return written }
        try write(try Figures.latentScatter(rec, on: test, format: .png), "latent.png")
        if let vae = model as? VariationalAutoencoder, test.isImage {
            if vae.config.isConditional {
                for k in 0..<vae.config.classes { try write(try Figures.manifold(vae, label: k, format: .png), "manifold-\(k).png") }
            } else {
                try write(try Figures.manifold(vae, format: .png), "manifold.png")
            }
        }
        return written
    }

    /// The pictures for the model's kind; returns their file names.
    public func writePictures(_ model: any TrainableModel, test: Dataset) throws -> [String] {
        var rng = RandomGenerator(seed: options.seed, stream: RandomStream.pictures.rawValue)
        let c = model.config
        var written: [String] = []
        func write(_ images: Tensor, columns: Int, _ name: String) throws {
            try AtomicFile.write(try ImageGrid.png(images, height: c.imageHeight, width: c.imageWidth, columns: columns, scale: 3),
                                 to: options.outputDirectory.appendingPathComponent(name))
            written.append(name)
        }
        if let vae = model as? VariationalAutoencoder {
            if c.isConditional {
                try write(vae.sample(labels: Pictures.labelRows(classes: c.classes, perClass: 10), rng: &rng), columns: 10, "samples.png")
            } else {
                try write(vae.sample(labels: Array(repeating: 0, count: 64), rng: &rng), columns: 8, "samples.png")
            }
        }
        if let rec = model as? any ReconstructingModel {
            try write(Pictures.reconstructionRows(rec, test: test, columns: 16, pairs: 2), columns: 16, "reconstructions.png")
            if let noise = c.noise {
                try write(Pictures.denoisingRows(rec, noise: noise, test: test, columns: 16, rng: &rng), columns: 16, "denoising.png")
            }
        }
        return written
    }
}

/// Image layouts shared by training and the CLI.
public enum Pictures {
    /// Labels 0, 0, …, 1, 1, …: `perClass` of each class in turn (one row per class).
    public static func labelRows(classes: Int, perClass: Int) -> [Int] {
        (0..<classes).flatMap { Array(repeating: $0, count: perClass) }
    }

    /// Interleaves rows: for each block of `columns` images, the row from each tensor in turn.
    public static func interleaveRows(_ tensors: [Tensor], columns: Int) -> Tensor {
        let n = tensors[0].shape[0], f = tensors[0].count / max(n, 1)
        let blocks = (n + columns - 1) / columns
        let out = Tensor(zeros: [blocks * columns * tensors.count, f])
        for k in 0..<n {
            let block = k / columns, col = k % columns
            for (t, tensor) in tensors.enumerated() {
                (out.data + ((block * tensors.count + t) * columns + col) * f).update(from: tensor.data + k * f, count: f)
            }
        }
        return out
    }

    /// `pairs` × (a row of `columns` test images, then the row of their reconstructions).
    public static func reconstructionRows(_ model: any ReconstructingModel, test: Dataset, columns: Int, pairs: Int,
                                          start: Int = 0) -> Tensor {
        let n = min(columns * pairs, test.count - start)
        let x = test.batch(start..<(start + n))
        let labels = test.labels[start..<(start + n)].map(Int.init)
        return interleaveRows([x, model.reconstruct(x, labels: labels)], columns: columns)
    }

    /// Rows noisy / denoised / clean for `columns` test images.
    public static func denoisingRows(_ model: any ReconstructingModel, noise: Corruption, test: Dataset, columns: Int,
                                     rng: inout RandomGenerator) -> Tensor {
        let n = min(columns, test.count)
        let x = test.batch(0..<n)
        let noisy = noise.apply(x, rng: &rng)
        return interleaveRows([noisy, model.reconstruct(noisy, labels: test.labels[0..<n].map(Int.init)), x], columns: columns)
    }
}
