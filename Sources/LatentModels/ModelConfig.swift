import Foundation
import LatentNN
import LatentTensor

/// Everything needed to rebuild a model, stored as JSON in its checkpoint: the kind, the networks' shapes and
/// the loss's options. Training schedules and data handling live elsewhere (`TrainingOptions`).
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Which member of the family.
    public var kind: ModelKind
    /// Fully connected or convolutional body.
    public var arch: Architecture = .mlp
    /// Features per example (pixels of an image, columns of a table).
    public var inputSize = 784
    /// Image height; `imageHeight · imageWidth == inputSize` (1 × features for a table).
    public var imageHeight = 28
    /// Image width.
    public var imageWidth = 28
    /// Widths of the dense hidden layers (after the convolutions for `conv`); the decoder mirrors them.
    public var hidden: [Int] = [400]
    /// Code dimensions.
    public var latent = 20
    /// The hidden layers' nonlinearity.
    public var activation: Activation = .relu
    /// Number of classes (CVAE labels, classifier outputs).
    public var classes = 10
    /// The decoder's output distribution.
    public var likelihood: Likelihood = .bernoulli
    /// Gaussian likelihood's variance; nil = learned (one scalar).
    public var outputVariance: Float?
    /// Weight of the KL term (β-VAE).
    public var beta: Float = 1
    /// The SAE's penalty.
    public var sparsity: Sparsity?
    /// The DAE's training corruption.
    public var noise: Corruption?
    /// Channels of the two stride-2 convolutions for `conv`.
    public var convChannels = [32, 64]
    /// Dynamic binarisation: each training pixel redrawn as Bernoulli(intensity) every time it is seen; the
    /// test set is binarised once with a fixed seed (`ModelConfig.testBinarizationSeed`). nil: intensities.
    public var binarize: Binarization?
    /// Free bits: a floor (nats) on each latent dimension's batch-average KL in the training loss.
    public var freeBits: Float?
    /// IWAE: importance samples per image in the training bound.
    public var importanceSamples: Int?
    /// The seed of the fixed binarisation of test sets.
    public static let testBinarizationSeed: UInt64 = 20_150_101

    /// A configuration of `kind` with the defaults (784-400-20, ReLU, Bernoulli: pytorch/examples' VAE).
    public init(kind: ModelKind) { self.kind = kind }

    /// VAE, CVAE and IWAE: models with a posterior distribution and a KL term.
    public var isVariational: Bool { kind == .vae || kind == .cvae || kind == .iwae }
    /// CVAE: models that take a label.
    public var isConditional: Bool { kind == .cvae }
    /// Models with an encoder and decoder (every kind but the classifier).
    public var isReconstructing: Bool { kind != .classifier }

    /// The configuration as compact JSON with sorted keys (the checkpoint's `config`).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// A configuration from the checkpoint's JSON.
    public static func from(json: String) throws -> ModelConfig {
        do { return try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) } catch {
            throw LatentError(.model, "not a valid model configuration (\(error)): \(json.prefix(200))")
        }
    }

    /// Checks sizes and combinations; errors name the property at fault.
    public func validate() throws {
        try validateShapes()
        try validateLoss()
    }

    private func fail(_ field: String, _ message: String) -> LatentError { LatentError(.model, field: field, message) }

    private func validateShapes() throws {
        guard inputSize > 0, imageHeight * imageWidth == inputSize else {
            throw fail("inputSize", "image \(imageHeight)x\(imageWidth) does not match input size \(inputSize)")
        }
        guard hidden.allSatisfy({ $0 > 0 }) else {
            throw fail("hidden", "layer widths must be positive, got \(hidden)")
        }
        guard arch == .conv || !hidden.isEmpty else { throw fail("hidden", "an MLP needs at least one hidden layer") }
        guard latent > 0 else { throw fail("latent", "expected a positive size, got \(latent)") }
        guard classes > 1 else { throw fail("classes", "expected at least 2, got \(classes)") }
        if arch == .conv {
            guard imageHeight % 4 == 0, imageWidth % 4 == 0 else {
                throw fail("arch", "conv needs image sides divisible by 4, got \(imageHeight)x\(imageWidth)")
            }
            guard convChannels.count == 2, convChannels.allSatisfy({ $0 > 0 }) else {
                throw fail("convChannels", "expected two positive numbers, got \(convChannels)")
            }
        }
    }

    private func validateLoss() throws {
        guard beta >= 0, beta.isFinite else { throw fail("beta", "expected a number ≥ 0, got \(beta)") }
        if let v = outputVariance, !(v > 0 && v.isFinite) {
            throw fail("outputVariance", "expected a positive number or 'learned', got \(v)")
        }
        if let s = sparsity {
            guard kind == .sae else { throw fail("sparsity", "applies to `kind` sae only") }
            guard s.weight >= 0 else { throw fail("sparsityWeight", "expected a number ≥ 0, got \(s.weight)") }
            if s.kind == .kl && !(s.target > 0 && s.target < 1) {
                throw fail("sparsityTarget", "expected 0 < ρ < 1, got \(s.target)")
            }
        }
        if let f = freeBits {
            guard f >= 0, f.isFinite else { throw fail("freeBits", "expected a number of nats ≥ 0, got \(f)") }
            guard kind == .vae || kind == .cvae else { throw fail("freeBits", "applies to `kind` vae or cvae") }
        }
        if kind == .iwae {
            guard likelihood == .bernoulli else { throw fail("likelihood", "an iwae supports bernoulli only") }
            guard let k = importanceSamples, k >= 1, k <= 5000 else {
                throw fail("importanceSamples", "expected 1…5000 importance samples for an iwae")
            }
        }
        if kind == .dae && noise == nil { throw fail("noise", "a dae needs a corruption (e.g. gaussian:0.5)") }
        if noise != nil && kind != .dae { throw fail("noise", "applies to `kind` dae only") }
    }
}
