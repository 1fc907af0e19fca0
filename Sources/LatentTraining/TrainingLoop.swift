import Foundation
import LatentCheckpoint
import LatentData
import LatentEval
import LatentFormats
import LatentModels
import LatentOptim
import LatentRender
import LatentTensor

extension Trainer {
    /// The state of one run of the loop: its random streams, metrics so far and the per-epoch stages.
    struct Loop {
        let trainer: Trainer
        let model: any TrainableModel
        let data: TrainingData
        let optimizer: Adam
        let step: TrainingStep
        let progress: ProgressReporter
        /// TensorBoard's event file, when asked for (process 0 only).
        let tensorBoard: TensorBoardWriter?
        var shuffling: RandomGenerator, noise: RandomGenerator, binarization: RandomGenerator
        var history: [EpochMetrics] = []
        var firstEpoch = 1
        var warnedCollapse = false
        /// The epoch's training loss, examples and time.
        var total = 0.0, seen = 0, started = Date(), dataSeconds = 0.0

        var options: TrainingOptions { trainer.options }

        init(
            _ trainer: Trainer, model: any TrainableModel, data: TrainingData, optimizer: Adam, step: TrainingStep,
            resume: TrainingState?
        ) throws {
            (self.trainer, self.model, self.data, self.optimizer, self.step) = (trainer, model, data, optimizer, step)
            let seed = trainer.options.seed
            shuffling = RandomGenerator(seed: seed, stream: .shuffling)
            noise = RandomGenerator(seed: seed, stream: .noise)
            binarization = RandomGenerator(seed: seed, stream: .binarization)
            progress = ProgressReporter(live: trainer.options.progressBar, examples: data.train.examplesName)
            tensorBoard = try trainer.options.tensorBoardDirectory.flatMap {
                trainer.isWriter ? try TensorBoardWriter(directory: $0) : nil
            }
            if let resume { try restore(resume) }
        }

        /// Continues from a saved state: Adam's moments, the random streams and the metrics so far.
        mutating func restore(_ state: TrainingState) throws {
            guard state.m.shape == optimizer.m.shape else {
                throw LatentError(
                    .training, field: "resume",
                    "the saved optimizer state has \(state.m.count) values, the model \(optimizer.m.count)")
            }
            optimizer.m.data.update(from: state.m.data, count: state.m.count)
            optimizer.v.data.update(from: state.v.data, count: state.v.count)
            if let steps = state.adamGroupSteps, steps.count != optimizer.groups.count {
                throw LatentError(
                    .training, field: "resume",
                    "the saved optimizer state has \(steps.count) parameter groups, "
                        + "the model \(optimizer.groups.count)")
            }
            optimizer.restore(stepCount: state.adamSteps, groupSteps: state.adamGroupSteps)
            for (name, words) in state.streams {
                switch name {
                case "shuffling": shuffling = RandomGenerator(state: words)
                case "noise": noise = RandomGenerator(state: words)
                case "binarization": binarization = RandomGenerator(state: words)
                default: break
                }
            }
            let url = options.outputDirectory.appendingPathComponent("metrics.jsonl")
            if let metrics = state.metrics {
                history = metrics
            } else if FileManager.default.fileExists(atPath: url.path) {
                history = Array(try EpochMetrics.read(url).prefix(state.epoch))
            }
            firstEpoch = state.epoch + 1
        }

        /// One pass over the shuffled training set: a step per batch, checked for NaN and infinity.
        mutating func train(epoch: Int) throws {
            optimizer.learningRate = options.learningRate(epoch: epoch)
            let batches = data.train.batches(
                size: trainer.effectiveBatchSize(data), shuffle: true, rng: &shuffling)
            (total, seen, started) = (0, 0, Date())
            model.setTraining(true)
            defer { model.setTraining(false) }  // evaluation, pictures and the checkpoint see running statistics
            var iterator = batches.makeIterator(), b = -1
            dataSeconds = 0
            while true {
                let before = DispatchTime.now().uptimeNanoseconds
                guard var batch = iterator.next() else { break }
                batch.epoch = epoch
                dataSeconds += Double(DispatchTime.now().uptimeNanoseconds - before) / 1e9
                b += 1
                let weight = options.klWeight(beta: model.config.beta, epoch: epoch, batch: b, batches: batches.count)
                if model.config.binarize == .dynamic { binarization.fillBernoulli(batch.x, probabilities: batch.x) }
                let value = Double(step.train(batch, klWeight: weight, rng: &noise))
                guard value.isFinite else {
                    throw trainer.nonFinite("the loss became \(value)", epoch: epoch, step: b + 1)
                }
                if let norm = optimizer.lastGradientNorm, !norm.isFinite {
                    throw trainer.nonFinite("the gradient norm became \(norm)", epoch: epoch, step: b + 1)
                }
                total += value
                seen += batch.count
                if let tensorBoard {
                    let rows = Double(batch.count), at = optimizer.stepCount
                    try tensorBoard.scalar("train/loss", value / rows, step: at)
                    for (name, term) in step.lastTerms {
                        try tensorBoard.scalar("train/\(name)", Double(term) / rows, step: at)
                    }
                }
                if stopRequested() {
                    progress.clear()
                    throw TrainingInterrupted(
                        epoch: epoch, step: b + 1, lastCompleteEpoch: epoch - 1,
                        directory: options.outputDirectory.path, epochs: options.epochs)
                }
                progress.update(
                    epoch: epoch, epochs: options.epochs, batch: b + 1, batches: batches.count,
                    loss: total / Double(seen), imagesPerSecond: Double(seen) / Date().timeIntervalSince(started))
            }
        }

        /// Whether Ctrl-C or SIGTERM asked for a stop; with several processes, whether any process was asked
        /// (one sum a step), so that all stop after the same step and none waits for the others in an exchange.
        func stopRequested() -> Bool {
            guard let processes = trainer.processes, processes.size > 1 else { return Interruption.isRequested }
            var asked = Interruption.isRequested ? 1.0 : 0.0
            processes.sum(&asked, count: 1)
            return asked > 0
        }

        /// Evaluates, reports and saves the epoch: checkpoint, then optimizer and random state, then metrics, each
        /// written atomically, so an interruption leaves the previous epoch's complete files or this one's.
        mutating func finish(epoch: Int) throws {
            let seconds = Date().timeIntervalSince(started)
            let shards = trainer.processes.map { p in
                Evaluation.Shards(index: p.rank, count: p.size) { p.sum($0, count: $1) }
            }
            let eval = Evaluation.evaluate(model, on: data.test, seed: options.seed, shards: shards)
            var row = EpochMetrics(
                epoch: epoch, trainLoss: total / Double(seen), testLoss: eval.loss,
                imagesPerSecond: Double(seen) / seconds, seconds: seconds, testTerms: eval.terms,
                rssMegabytes: EpochMetrics.currentRSSMegabytes())
            row.dataSeconds = dataSeconds
            history.append(row)
            progress.clear()
            let parts = eval.terms.sorted { $0.key > $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }
            trainer.log(
                String(
                    format: "epoch %d/%d  train %.4f  test %.4f (%@)  %.0f %@/s  %.1f s", epoch,
                    options.epochs, row.trainLoss, row.testLoss, parts.joined(separator: ", "),
                    row.imagesPerSecond, data.train.examplesName, seconds))
            warnIfCollapsed(epoch: epoch, kl: eval.terms["kl"])
            try checkProcessesAgree(epoch: epoch)
            guard trainer.isWriter else { return }
            try logToTensorBoard(row, epoch: epoch)
            try save(epoch: epoch)
        }

        /// The epoch's save as one transaction: the training state, holding copies of the checkpoint and the
        /// metrics, is written first (the commit point), then the checkpoint, then metrics.jsonl, each atomically.
        /// A failure or kill before the state is renamed into place leaves the previous epoch's files whole; one
        /// after it is completed by the next `--resume` from the state (`TrainingState.completeSave`).
        func save(epoch: Int) throws {
            let out = options.outputDirectory
            let checkpoint = try ModelStore.contents(
                model, seed: options.seed, epochs: epoch, scaling: data.scaling, data: options.provenance)
            let streams = ["shuffling": shuffling.state, "noise": noise.state, "binarization": binarization.state]
            do {
                var state = TrainingState(
                    epoch: epoch, adamSteps: optimizer.stepCount, m: optimizer.m, v: optimizer.v, streams: streams,
                    options: options, engine: step.engine, checkpoint: checkpoint, metrics: history)
                let groupSteps = optimizer.groups.map(\.steps)
                if groupSteps.contains(where: { $0 != optimizer.stepCount }) { state.adamGroupSteps = groupSteps }
                try state.write(to: out)
            } catch {
                let kept = epoch > 1 ? "the files of epoch \(epoch - 1) are kept whole" : "nothing was saved"
                throw LatentError(.training, "the save of epoch \(epoch) failed (\(error)); \(kept)")
            }
            do {
                try Checkpoint.write(checkpoint, to: out.appendingPathComponent(Checkpoint.fileName))
                try EpochMetrics.write(history, to: out.appendingPathComponent("metrics.jsonl"))
            } catch {
                throw LatentError(
                    .training,
                    "the save of epoch \(epoch) stopped after its training state (\(error)); `resume` completes it")
            }
        }

        /// The epoch's figures and pictures in TensorBoard, at the step count reached.
        func logToTensorBoard(_ row: EpochMetrics, epoch: Int) throws {
            guard let tensorBoard else { return }
            let step = optimizer.stepCount
            var scalars = [
                ("epoch/train_loss", row.trainLoss), ("epoch/test_loss", row.testLoss),
                ("epoch/images_per_second", row.imagesPerSecond),
                ("epoch/learning_rate", Double(optimizer.learningRate)),
                ("epoch/epoch", Double(epoch)),
            ]
            scalars += row.testTerms.sorted { $0.key < $1.key }.map { ("epoch/test_\($0.key)", $0.value) }
            for (tag, value) in scalars { try tensorBoard.scalar(tag, value, step: step) }
            guard data.test.isImage, let rec = model as? any ReconstructingModel else { return }
            let c = model.config
            for (name, images, columns) in trainer.imageGrids(rec, test: data.test) {
                let png = try ImageGrid.png(
                    images, height: c.imageHeight, width: c.imageWidth, channels: c.channels, columns: columns,
                    scale: 2)
                try tensorBoard.image(String(name.prefix { $0 != "." }), png: png, step: step)
            }
        }

        /// With several processes: every one must hold the same weights (the same sum of them, to the bit), or
        /// the run stops naming the epoch.
        func checkProcessesAgree(epoch: Int) throws {
            guard let processes = trainer.processes, processes.size > 1 else { return }
            let values = optimizer.parameters.values
            var sum = 0.0
            for i in 0..<values.count { sum += Double(values.data[i]) * Double(i % 7 + 1) }
            let (low, high) = processes.range(sum)
            guard low == high else {
                throw LatentError(
                    .training,
                    "the \(processes.size) processes hold different weights after epoch \(epoch) (checksums "
                        + "\(low) to \(high)): they must train the same model on the same data with the same options")
            }
        }

        /// Once per run, after the warm-up: a KL under 0.1 nat or no active dimension means the decoder ignores
        /// the code.
        mutating func warnIfCollapsed(epoch: Int, kl: Double?) {
            guard let vae = model as? VariationalAutoencoder, !warnedCollapse, epoch > options.klWarmupEpochs,
                let kl
            else { return }
            let active = Evaluation.activeDimensions(vae, on: data.test)
            guard kl < 0.1 || active == 0 else { return }
            warnedCollapse = true
            let dimensions = "\(active) of \(vae.config.latent) latent dimensions active"
            trainer.log(
                String(format: "warning: posterior collapse: the KL is %.3f nats per ", kl)
                    + """
                    \(data.test.exampleName) (\(dimensions)), so the decoder barely uses the code. \
                    Remedies: `klWarmupEpochs` 10 (anneal the KL in), `freeBits` 0.5 (a KL floor per dimension), \
                    `beta` below 1, or a smaller decoder (`hidden`).
                    """)
        }
    }
}
