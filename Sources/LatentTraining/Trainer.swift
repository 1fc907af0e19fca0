import Foundation
import LatentCheckpoint
import LatentData
import LatentEval
import LatentModels
import LatentNN
import LatentOptim
import LatentTensor

/// The training loop: model → optimiser → for each epoch {train; test; save checkpoint and metrics}, then
/// pictures. Reads top to bottom like pytorch/examples' vae/main.py; each stage is a method below.
public struct Trainer {
    /// The hyperparameters, schedule and output directory.
    public let options: TrainingOptions
    /// Receives each human-readable line (epoch summaries, file names).
    public let log: (String) -> Void
    /// The processes the training is split over (`mpirun`), nil for one process.
    public let processes: (any ProcessGroup)?

    /// A trainer with `options`, reporting through `log`; with `processes`, one of several processes training
    /// the same model on shares of each batch (process 0 alone writes the run's files).
    public init(
        options: TrainingOptions, processes: (any ProcessGroup)? = nil, log: @escaping (String) -> Void = { _ in }
    ) {
        self.options = options
        self.processes = processes
        self.log = log
    }

    /// Whether this process writes the run's files (the only process, or process 0 of several).
    public var isWriter: Bool { (processes?.rank ?? 0) == 0 }

    /// Trains `model` on `data.train`, evaluating on `data.test` after every epoch, and writes the run's files
    /// to the output directory; returns the metrics. With `resume` (and the model's weights loaded from the
    /// same directory) it continues after `resume.epoch`.
    @discardableResult
    public func run(
        _ model: any TrainableModel, data: TrainingData, resume: TrainingState? = nil
    ) throws -> [EpochMetrics] {
        try options.validate()
        guard data.train.count > 0, data.test.count > 0 else {
            throw LatentError(
                .data, "no examples to train on or to test with (\(data.train.count) and \(data.test.count))")
        }
        // Before any exchange: processes given other flags or data stop here, all of them, naming the difference.
        if let processes, processes.size > 1 {
            try processes.requireAgreement(sharedSettings(model, data: data, resume: resume))
        }
        try checkShares(model, data: data)
        let optimizer = try Adam.training(model, learningRate: options.learningRate)
        optimizer.clipGradientNorm = options.clipGradientNorm
        TrainingStep.configureBLAS(for: model.config, threads: options.threads)
        let step = try TrainingStep(
            model, optimizer: optimizer, threads: options.threads, batchSize: effectiveBatchSize(data),
            engine: options.engine, processes: processes)
        let directory =
            isWriter
            ? try RunDirectory(options.outputDirectory, resuming: resume != nil, overwrite: options.overwrite) : nil
        defer { withExtendedLifetime(directory) {} }
        log("engine: \(step.description)")
        var loop = try Loop(self, model: model, data: data, optimizer: optimizer, step: step, resume: resume)
        for epoch in stride(from: loop.firstEpoch, through: options.epochs, by: 1) {
            try loop.train(epoch: epoch)
            try loop.finish(epoch: epoch)
        }
        guard isWriter else { return loop.history }
        let pictures = try writePictures(model, metrics: loop.history, test: data.test)
        let files = (["model.safetensors", "metrics.jsonl"] + pictures).joined(separator: ", ")
        log("wrote \(options.outputDirectory.path)/{\(files)}")
        return loop.history
    }

    /// Trains `model` on `train`, judged on `test` as they are (already prepared; see `TrainingData`).
    @discardableResult
    public func run(_ model: any TrainableModel, train: Dataset, test: Dataset) throws -> [EpochMetrics] {
        try run(model, data: TrainingData(train: train, test: test, scaling: options.scaling))
    }

    /// With several processes, BatchNorm needs a share of every batch in every process (each takes part in every
    /// exchange of statistics): no batch, the last of an epoch included, may have fewer rows than processes.
    /// A BatchNorm layer on a 1x1 feature map sees one value per channel in a batch of one, which has no
    /// variance to normalise by (PyTorch raises): no batch may have a single example then.
    func checkShares(_ model: any TrainableModel, data: TrainingData) throws {
        guard !model.layers(of: BatchNorm.self).isEmpty else { return }
        let batch = effectiveBatchSize(data), last = data.train.count % batch
        let c = model.config, smallest = c.arch == .deepconv ? c.convSize.height * c.convSize.width : 2
        if smallest == 1 && (batch == 1 || last == 1) {
            let given =
                batch == 1
                ? "batches of 1 give it one value per channel"
                : "batches of \(batch) leave a last batch of 1 of \(data.train.count) examples"
            throw LatentError(
                .training, field: "batchSize",
                "BatchNorm on the last 1x1 feature map needs batches of more than one example (PyTorch raises "
                    + "here too), but \(given): choose another batch size, or fewer `convChannels`")
        }
        guard let processes, processes.size > 1 else { return }
        let p = processes.size
        if batch < p || (last > 0 && last < p) {
            throw LatentError(
                .training, field: "batchSize",
                "with \(p) processes every batch needs at least \(p) examples for BatchNorm, but batches of \(batch) "
                    + "leave \(last == 0 ? batch : last) of \(data.train.count): choose another batch size")
        }
    }

    /// The batch size, at most the number of training examples: buffers are sized by the data, not by a flag.
    func effectiveBatchSize(_ data: TrainingData) -> Int { min(options.batchSize, max(data.train.count, 1)) }

    /// The error for a NaN or infinity: where it happened, what was kept, what usually helps.
    func nonFinite(_ what: String, epoch: Int, step: Int) -> LatentError {
        let kept =
            epoch > 1
            ? "the checkpoint of epoch \(epoch - 1) in \(options.outputDirectory.path) is kept as the last good one"
            : "no epoch had finished, so nothing was saved"
        let data =
            options.scaling == nil
            ? ""
            : " Unscaled features with large values are the usual cause with your own data: use `scaling` standard."
        return LatentError(
            .training,
            "\(what) at epoch \(epoch), step \(step); \(kept). Try a lower `learningRate` "
                + "or `clipGradientNorm` 10.\(data)")
    }
}
