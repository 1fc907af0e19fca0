import Foundation
import LatentCheckpoint
import LatentData
import LatentEval
import LatentModels
import LatentTensor

/// What a run directory holds, as Keras' `model.summary()` and a look at the run's files would tell: the model
/// (kind, body, sizes, every parameter tensor by its PyTorch name), the data it was trained on, how it was
/// trained and how far, and its last epoch's metrics. Read by `latent info`; nothing is computed or written.
public struct RunSummary: Sendable {
    /// One parameter tensor or buffer: its name in the checkpoint and its shape.
    public struct Entry: Sendable {
        /// The name, as PyTorch's `state_dict` has it (`encoder.0.weight`).
        public let name: String
        /// The shape.
        public let shape: [Int]
        /// Whether training updates it (false for BatchNorm's running statistics).
        public let trained: Bool
        /// Its number of values.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The run directory (or checkpoint file) read.
    public let directory: URL
    /// The model's configuration.
    public let config: ModelConfig
    /// Epochs trained and the seed.
    public let epochs: Int, seed: UInt64
    /// Every parameter tensor, then every buffer, in checkpoint order.
    public let tensors: [Entry]
    /// The data the run was trained on (nil in checkpoints of older versions).
    public let data: DataProvenance?
    /// The feature scaling of a table model.
    public let scaling: FeatureScaling?
    /// How it was trained (batch size, learning rate, threads, engine, …); nil without a training state.
    public let training: TrainingOptions?
    /// The last epoch's metrics; nil without metrics.jsonl.
    public let last: EpochMetrics?
    /// The files in the directory, sorted (hidden ones aside).
    public let files: [String]

    /// Trained values (parameters, not buffers).
    public var parameterCount: Int { tensors.filter(\.trained).reduce(0) { $0 + $1.count } }

    /// Reads the run in `url`: its checkpoint (checked as every command checks it), and its training state
    /// and metrics where present.
    public init(_ url: URL) throws {
        let loaded = try ModelStore.load(url)
        directory = url
        (config, epochs, seed, data, scaling) = (
            loaded.config, loaded.epochs, loaded.seed, loaded.data, loaded.scaling
        )
        tensors =
            loaded.model.namedParameters.map {
                Entry(name: $0.name, shape: $0.parameter.value.shape.dimensions, trained: true)
            }
            + loaded.model.namedBuffers.map {
                Entry(name: $0.name, shape: $0.parameter.value.shape.dimensions, trained: false)
            }
        var isDirectory: ObjCBool = false
        let folder =
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        training = folder ? (try? TrainingState.read(from: url))?.options(epochs: loaded.epochs, directory: url) : nil
        let metrics = url.appendingPathComponent("metrics.jsonl")
        last = folder ? (try? EpochMetrics.read(metrics))?.last : nil
        files =
            folder
            ? ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }
                .sorted() : [url.lastPathComponent]
    }

    /// The layer sizes from input to code and back ("784 → 400 → 20 → 400 → 784"; conv bodies by channels).
    public var shape: String {
        let c = config
        let input =
            c.imageHeight > 1 ? "\(c.imageWidth)x\(c.imageHeight)x\(c.channels)" : "\(c.inputSize)"
        let body =
            c.arch == .mlp ? c.hidden.map(String.init) : c.convChannels.map { "conv \($0)" } + c.hidden.map(String.init)
        let code = c.isReconstructing ? "\(c.latent)" : "\(c.classes) classes"
        let down = ([input] + body + [code]).joined(separator: " → ")
        guard c.isReconstructing else { return down }
        return down + " → " + ([input] + body).reversed().joined(separator: " → ")
    }
}
