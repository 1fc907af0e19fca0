import Foundation
import LatentCheckpoint
import LatentTensor

/// Everything `latent train --resume` needs to continue as if never stopped: Adam's moments and step count, the
/// random streams' states, the epoch reached, the run's options — and a copy of the epoch's checkpoint and
/// metrics. It is the save's commit point: written first (`DIR/training-state.safetensors`, atomically), then
/// the checkpoint and metrics.jsonl; a save stopped between them (a kill, a full disk) is completed from it
/// (`completeSave`), and one stopped before it leaves the previous epoch's three files as they were.
public struct TrainingState {
    /// The state's name in a run directory.
    public static let fileName = RunDirectory.stateFileName

    /// The last complete epoch.
    public var epoch: Int
    /// Adam's step count.
    public var adamSteps: Int
    /// The step counts of Adam's parameter groups, where some sat out steps (a VAE-GAN's); nil: `adamSteps` each.
    public var adamGroupSteps: [Int]?
    /// Adam's first and second moments.
    public var m: Tensor, v: Tensor
    /// Random streams by name (shuffling, noise, binarization), 4 words each.
    public var streams: [String: [UInt64]]
    /// The run's options, continued as they were.
    public var batchSize: Int
    /// The run's learning rate.
    public var learningRate: Float
    /// The run's seed.
    public var seed: UInt64
    /// The run's thread count (the same split of each batch, so the numbers continue exactly).
    public var threads: Int
    /// The run's gradient clipping.
    public var clipGradientNorm: Float? = nil
    /// The engine the run used (planned or graph), so a resumed run computes exactly as the first one did.
    public var engine: TrainingEngine = .graph
    /// The run's KL warm-up.
    public var klWarmupEpochs = 0
    /// The run's learning-rate schedule.
    public var learningRateSchedule: LearningRateSchedule = .constant
    /// The epoch's checkpoint as written beside the state (nil in states of format version 1).
    public var checkpoint: Checkpoint.Contents?
    /// The metrics of every epoch so far (nil in states of format version 1).
    public var metrics: [EpochMetrics]?

    /// The state after `epoch` of a run with these options.
    public init(
        epoch: Int, adamSteps: Int, m: Tensor, v: Tensor, streams: [String: [UInt64]], options: TrainingOptions,
        engine: TrainingEngine, checkpoint: Checkpoint.Contents? = nil, metrics: [EpochMetrics]? = nil
    ) {
        (self.checkpoint, self.metrics) = (checkpoint, metrics)
        (self.epoch, self.adamSteps, self.m, self.v, self.streams) = (epoch, adamSteps, m, v, streams)
        (batchSize, learningRate, seed, threads) = (
            options.batchSize, options.learningRate, options.seed, options.threads
        )
        (clipGradientNorm, klWarmupEpochs, self.engine) = (options.clipGradientNorm, options.klWarmupEpochs, engine)
        learningRateSchedule = options.learningRateSchedule
    }

    /// The options of the run, continued up to `epochs`, writing to `directory`.
    public func options(epochs: Int, directory: URL) -> TrainingOptions {
        var o = TrainingOptions(outputDirectory: directory)
        (o.epochs, o.batchSize, o.learningRate, o.seed, o.threads) = (epochs, batchSize, learningRate, seed, threads)
        (o.clipGradientNorm, o.engine, o.klWarmupEpochs) = (clipGradientNorm, engine, klWarmupEpochs)
        o.learningRateSchedule = learningRateSchedule
        return o
    }

    /// Writes `DIR/training-state.safetensors` atomically.
    public func write(to directory: URL) throws {
        var metadata = [
            "format": "latent-training-state", "format_version": checkpoint == nil ? "1" : "2", "epoch": String(epoch),
            "adam_steps": String(adamSteps), "batch_size": String(batchSize),
            "learning_rate": String(learningRate.bitPattern), "seed": String(seed), "threads": String(threads),
            "engine": engine.rawValue, "kl_warmup": String(klWarmupEpochs),
        ]
        if let clipGradientNorm { metadata["clip_grad_norm"] = String(clipGradientNorm.bitPattern) }
        if learningRateSchedule != .constant { metadata["lr_schedule"] = learningRateSchedule.rawValue }
        if let adamGroupSteps { metadata["adam_group_steps"] = adamGroupSteps.map(String.init).joined(separator: ",") }
        for (name, words) in streams { metadata["rng.\(name)"] = words.map(String.init).joined(separator: ",") }
        var tensors: [(name: String, tensor: Tensor)] = [("adam.m", m), ("adam.v", v)]
        if let checkpoint {
            tensors += checkpoint.tensors.map { (Self.modelPrefix + $0.name, $0.tensor) }
            for (key, value) in checkpoint.metadata { metadata[Self.modelPrefix + key] = value }
        }
        if let metrics { metadata["metrics"] = String(decoding: try EpochMetrics.lines(metrics), as: UTF8.self) }
        let data = try SafeTensors.encode(tensors, metadata: metadata)
        try AtomicFile.write(data, to: directory.appendingPathComponent(Self.fileName))
    }

    /// The prefix of the checkpoint's tensors and metadata inside the state.
    static let modelPrefix = "model/"

    /// Completes a save that stopped after this state was written: when `DIR/model.safetensors` or
    /// metrics.jsonl is missing or of another epoch, writes it from the state's copy. Returns whether it did.
    public func completeSave(in directory: URL) throws -> Bool {
        guard let checkpoint, let metrics else { return false }
        let model = directory.appendingPathComponent(Checkpoint.fileName)
        let lines = directory.appendingPathComponent("metrics.jsonl")
        let saved = (try? Checkpoint.load(model))?.metadata["epochs"].flatMap(Int.init)
        let written = (try? EpochMetrics.read(lines))?.count
        if saved != epoch { try Checkpoint.write(checkpoint, to: model) }
        if written != epoch { try EpochMetrics.write(metrics, to: lines) }
        return saved != epoch || written != epoch
    }

    /// Reads and checks `DIR/training-state.safetensors`.
    public static func read(from directory: URL) throws -> TrainingState {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw LatentError(
                .training, field: "resume",
                "\(directory.path) has no \(fileName) (it was written by an "
                    + "older Latent, or training never finished an epoch)")
        }
        let (tensors, meta) = try SafeTensors.read(url)
        func int(_ key: String) throws -> Int {
            guard let v = meta[key].flatMap(Int.init) else {
                throw LatentError(.training, "\(url.path): missing or bad '\(key)'")
            }
            return v
        }
        guard meta["format"] == "latent-training-state", ["1", "2"].contains(meta["format_version"]) else {
            throw LatentError(.training, "\(url.path): not a Latent training state of format version 1 or 2")
        }
        guard let m = tensors["adam.m"], let v = tensors["adam.v"], m.shape == v.shape else {
            throw LatentError(.training, "\(url.path): Adam moments missing")
        }
        var streams: [String: [UInt64]] = [:]
        for (key, value) in meta where key.hasPrefix("rng.") {
            let words = value.split(separator: ",").compactMap { UInt64($0) }
            guard words.count == 4 else { throw LatentError(.training, "\(url.path): bad random state '\(key)'") }
            streams[String(key.dropFirst(4))] = words
        }
        guard let lrBits = meta["learning_rate"].flatMap(UInt32.init), let seed = meta["seed"].flatMap(UInt64.init)
        else {
            throw LatentError(.training, "\(url.path): missing learning rate or seed")
        }
        var options = TrainingOptions(outputDirectory: directory)
        (options.batchSize, options.learningRate, options.seed) = (
            try int("batch_size"), Float(bitPattern: lrBits), seed
        )
        options.threads = try int("threads")
        options.clipGradientNorm = meta["clip_grad_norm"].flatMap(UInt32.init).map(Float.init(bitPattern:))
        options.klWarmupEpochs = meta["kl_warmup"].flatMap(Int.init) ?? 0
        if let schedule = meta["lr_schedule"] {
            guard let s = LearningRateSchedule(rawValue: schedule) else {
                throw LatentError(.training, "\(url.path): unknown learning-rate schedule '\(schedule)'")
            }
            options.learningRateSchedule = s
        }
        let engine = meta["engine"].flatMap(TrainingEngine.init(rawValue:)) ?? .graph  // states from before plans
        var checkpoint: Checkpoint.Contents?, metrics: [EpochMetrics]?
        if meta["format_version"] == "2" {
            let model = tensors.filter { $0.key.hasPrefix(modelPrefix) }.sorted { $0.key < $1.key }
            checkpoint = Checkpoint.Contents(
                tensors: model.map { (String($0.key.dropFirst(modelPrefix.count)), $0.value) },
                metadata: Dictionary(
                    uniqueKeysWithValues: meta.filter { $0.key.hasPrefix(modelPrefix) }.map {
                        (String($0.key.dropFirst(modelPrefix.count)), $0.value)
                    }))
            metrics = try EpochMetrics.parse(meta["metrics"] ?? "", source: url.path)
            guard metrics?.count == (try int("epoch")) else {
                throw LatentError(
                    .training, "\(url.path): holds \(metrics?.count ?? 0) epochs of metrics, not \(try int("epoch"))")
            }
        }
        var state = TrainingState(
            epoch: try int("epoch"), adamSteps: try int("adam_steps"), m: m, v: v, streams: streams,
            options: options, engine: engine, checkpoint: checkpoint, metrics: metrics)
        if let text = meta["adam_group_steps"] {
            let steps = text.split(separator: ",").compactMap { Int($0) }
            guard steps.count == text.split(separator: ",").count, steps.allSatisfy({ $0 >= 0 }) else {
                throw LatentError(.training, "\(url.path): bad 'adam_group_steps'")
            }
            state.adamGroupSteps = steps
        }
        return state
    }
}
