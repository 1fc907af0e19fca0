import Foundation
import LatentCheckpoint
import LatentTensor

/// Everything besides the weights that `latent train --resume` needs to continue as if never stopped:
/// Adam's moments and step count, the random streams' states, the epoch reached and the run's options.
/// Written next to the checkpoint (`DIR/training-state.safetensors`, atomically) after every epoch.
public struct TrainingState {
    public static let fileName = "training-state.safetensors"

    public var epoch: Int
    public var adamSteps: Int
    public var m: Tensor, v: Tensor
    /// Random streams by name (shuffling, noise, binarization), 4 words each.
    public var streams: [String: [UInt64]]
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64
    public var threads: Int
    public var clipGradientNorm: Float? = nil
    /// The engine the run used (planned or graph), so a resumed run computes exactly as the first one did.
    public var engine: TrainingEngine = .graph

    public init(epoch: Int, adamSteps: Int, m: Tensor, v: Tensor, streams: [String: [UInt64]], batchSize: Int,
                learningRate: Float, seed: UInt64, threads: Int, clipGradientNorm: Float? = nil,
                engine: TrainingEngine = .graph) {
        self.epoch = epoch; self.adamSteps = adamSteps; self.m = m; self.v = v; self.streams = streams
        self.batchSize = batchSize; self.learningRate = learningRate; self.seed = seed; self.threads = threads
        self.clipGradientNorm = clipGradientNorm
        self.engine = engine
    }

    public func write(to directory: URL) throws {
        var metadata = ["format": "latent-training-state", "format_version": "1", "epoch": String(epoch), "adam_steps": String(adamSteps),
                        "batch_size": String(batchSize), "learning_rate": String(learningRate.bitPattern), "seed": String(seed),
                        "threads": String(threads)]
        if let clipGradientNorm { metadata["clip_grad_norm"] = String(clipGradientNorm.bitPattern) }
        metadata["engine"] = engine.rawValue
        for (name, words) in streams { metadata["rng.\(name)"] = words.map(String.init).joined(separator: ",") }
        let data = try SafeTensors.encode([("adam.m", m), ("adam.v", v)], metadata: metadata)
        try AtomicFile.write(data, to: directory.appendingPathComponent(Self.fileName))
    }

    public static func read(from directory: URL) throws -> TrainingState {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError("--resume: \(directory.path) has no \(fileName) (it was written by an older Latent, or training never finished an epoch)")
        }
        let (tensors, meta) = try SafeTensors.read(url)
        func int(_ key: String) throws -> Int {
            guard let v = meta[key].flatMap(Int.init) else { throw TrainingError("\(url.path): missing or bad '\(key)'") }
            return v
        }
        guard meta["format"] == "latent-training-state", meta["format_version"] == "1" else {
            throw TrainingError("\(url.path): not a Latent training state of format version 1")
        }
        guard let m = tensors["adam.m"], let v = tensors["adam.v"], m.shape == v.shape else { throw TrainingError("\(url.path): Adam moments missing") }
        var streams: [String: [UInt64]] = [:]
        for (key, value) in meta where key.hasPrefix("rng.") {
            let words = value.split(separator: ",").compactMap { UInt64($0) }
            guard words.count == 4 else { throw TrainingError("\(url.path): bad random state '\(key)'") }
            streams[String(key.dropFirst(4))] = words
        }
        guard let lrBits = meta["learning_rate"].flatMap(UInt32.init), let seed = meta["seed"].flatMap(UInt64.init) else {
            throw TrainingError("\(url.path): missing learning rate or seed")
        }
        var state = TrainingState(epoch: try int("epoch"), adamSteps: try int("adam_steps"), m: m, v: v, streams: streams,
                                  batchSize: try int("batch_size"), learningRate: Float(bitPattern: lrBits), seed: seed, threads: try int("threads"))
        state.clipGradientNorm = meta["clip_grad_norm"].flatMap(UInt32.init).map(Float.init(bitPattern:))
        state.engine = meta["engine"].flatMap(TrainingEngine.init(rawValue:)) ?? .graph   // states from before plans: graph
        return state
    }
}
