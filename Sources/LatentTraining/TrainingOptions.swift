import Foundation
import LatentData
import LatentOptim
import LatentTensor

/// How to train: the hyperparameters, the schedule and where results go (`latent train` flags map onto these).
public struct TrainingOptions: Sendable {
    /// Epochs to train up to (a resumed run continues after its last epoch).
    public var epochs = 10
    /// Examples per step.
    public var batchSize = 128
    /// Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// The seed every random stream derives from (`RandomStream`).
    public var seed: UInt64 = 1
    /// How the learning rate changes with the epochs (constant, or Burda et al.'s stages).
    public var learningRateSchedule: LearningRateSchedule = .constant
    /// Epochs over which a VAE's KL weight rises linearly from 0 to β (0: none).
    public var klWarmupEpochs = 0
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
    /// The data trained on, recorded in the checkpoint.
    public var provenance: DataProvenance? = nil
    /// Clip the gradient's L2 norm to this before each step.
    public var clipGradientNorm: Float? = nil
    /// Planned step or graph.
    public var engine: TrainingEngine = .auto
    /// Write into an output directory that holds other files or another run (never deleting any of them).
    public var overwrite = false
    /// Where to write TensorBoard event files (per-step loss, per-epoch metrics and pictures); nil: none.
    public var tensorBoardDirectory: URL? = nil

    /// The defaults (10 epochs, batch 128, Adam 1e-3, seed 1), writing to `outputDirectory`.
    public init(outputDirectory: URL) { self.outputDirectory = outputDirectory }

    /// Checks every value; errors name the property at fault.
    public func validate() throws {
        func fail(_ field: String, _ message: String) -> LatentError { LatentError(.training, field: field, message) }
        guard epochs > 0, epochs <= 1_000_000 else { throw fail("epochs", "expected 1…1,000,000, got \(epochs)") }
        guard batchSize > 0, batchSize <= 1 << 24 else {
            throw fail("batchSize", "expected 1…16,777,216, got \(batchSize)")
        }
        try LearningRate.check(learningRate, domain: .training)
        guard klWarmupEpochs >= 0, klWarmupEpochs <= 1_000_000 else {
            throw fail("klWarmupEpochs", "expected 0…1,000,000 epochs, got \(klWarmupEpochs)")
        }
        guard threads > 0, threads <= 1024 else { throw fail("threads", "expected 1…1024, got \(threads)") }
        if let clip = clipGradientNorm, !(clip > 0 && clip.isFinite) {
            throw fail("clipGradientNorm", "expected a positive number, got \(clip)")
        }
    }

    /// Adam's learning rate in `epoch` (1-based) under the schedule.
    public func learningRate(epoch: Int) -> Float { learningRateSchedule.rate(base: learningRate, epoch: epoch) }

    /// The KL weight at batch `b` of `batches` in `epoch`: β after the warm-up, rising linearly from 0 during it.
    public func klWeight(beta: Float, epoch: Int, batch b: Int, batches: Int) -> Float? {
        guard klWarmupEpochs > 0 else { return nil }
        let progress = (Double(epoch - 1) + Double(b) / Double(max(batches, 1))) / Double(klWarmupEpochs)
        return beta * Float(min(1, progress))
    }
}

/// A learning-rate schedule over the epochs.
public enum LearningRateSchedule: String, Codable, Sendable, CaseIterable {
    /// The base rate throughout.
    case constant
    /// Burda et al. (2015): stage i = 0 … 7 lasts 3^i epochs at base·10^(−i/7) (3,280 epochs in all; the last
    /// stage's rate after them).
    case burda

    /// The rate in `epoch` (1-based) for a base rate.
    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant: return base
        case .burda:
            var stage = 0, end = 1, length = 1
            while epoch > end && stage < 7 {
                stage += 1
                length *= 3
                end += length
            }
            return base * Float(pow(10, -Double(stage) / 7))
        }
    }
}
