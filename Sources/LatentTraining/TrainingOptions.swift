import Foundation
import LatentData

/// How to train: the hyperparameters and where results go (`latent train` flags map onto these).
public struct TrainingOptions: Sendable {
    public var epochs = 10
    public var batchSize = 128
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1
    /// Output directory for the checkpoint, metrics and pictures.
    public var outputDirectory: URL
    /// Draw a live progress bar (on a terminal) rather than only per-epoch lines.
    public var progressBar = false
    /// Threads to train with. Above 1, each batch is split over that many data-parallel workers with
    /// single-threaded BLAS (`TrainingStep`); the SAE, whose penalty needs whole-batch statistics, uses
    /// threaded BLAS instead. Results are reproducible for a given seed and thread count.
    public var threads = 1
    /// Feature scaling of a table, saved with the model.
    public var scaling: FeatureScaling? = nil
    /// Clip the gradient's L2 norm to this before each step.
    public var clipGradientNorm: Float? = nil
    /// Planned step or graph (`--engine`).
    public var engine: TrainingEngine = .auto

    public init(outputDirectory: URL) { self.outputDirectory = outputDirectory }

    public func validate() throws {
        guard epochs > 0 else { throw TrainingError("--epochs: expected a positive number, got \(epochs)") }
        guard batchSize > 0 else { throw TrainingError("--batch-size: expected a positive number, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError("--lr: expected a positive learning rate, got \(learningRate)") }
    }
}

/// Training that cannot start or continue, with a message naming the cause.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Random streams derived from the one `--seed`: each use has its own, so e.g. changing the number of
/// epochs does not change the initial weights.
public enum RandomStream: UInt64 {
    case initialization = 0, shuffling = 1, noise = 2, evaluation = 3, pictures = 4, corruption = 5, binarization = 6
}
