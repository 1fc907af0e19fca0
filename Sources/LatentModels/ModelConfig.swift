import Foundation
import LatentNN

/// The members of the family (`latent train --model …`).
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// Autoencoder: deterministic code, reconstruction loss.
    case ae
    /// Sparse autoencoder: AE + a sparsity penalty on the encoder's last hidden layer.
    case sae
    /// Denoising autoencoder: AE trained to reconstruct clean inputs from corrupted ones.
    case dae
    /// Variational autoencoder (β-VAE with β ≠ 1).
    case vae
    /// Importance-weighted autoencoder (Burda et al. 2015): the VAE's networks trained on the k-sample bound.
    case iwae
    /// Conditional VAE: a one-hot label goes into encoder and decoder.
    case cvae
    /// An MLP classifier, to judge generated digits and for semi-supervised work.
    case classifier
}

/// The encoder/decoder body: fully connected, or convolutional (for images whose sides divide by 4).
public enum Architecture: String, Codable, CaseIterable, Sendable { case mlp, conv }

/// The decoder's output distribution: Bernoulli (cross-entropy) or Gaussian (squared error with a variance).
public enum Likelihood: String, Codable, CaseIterable, Sendable { case bernoulli, gaussian }

/// The SAE's penalty: KL(ρ ‖ ρ̂) toward target activation ρ, or L1 on the activations.
public struct Sparsity: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case kl, l1 }
    public var kind: Kind
    /// ρ, for the KL form.
    public var target: Float
    public var weight: Float
    public init(kind: Kind, target: Float = 0.05, weight: Float) { self.kind = kind; self.target = target; self.weight = weight }
}

/// Everything needed to rebuild a model; stored as JSON in its checkpoint.
/// How pixel intensities become binary observations.
public enum Binarization: String, Codable, CaseIterable, Sendable {
    case dynamic
}

public struct ModelConfig: Codable, Equatable, Sendable {
    public var kind: ModelKind
    public var arch: Architecture = .mlp
    public var inputSize = 784
    public var imageHeight = 28, imageWidth = 28
    /// Widths of the dense hidden layers (after the convolutions for `conv`); the decoder mirrors them.
    public var hidden: [Int] = [400]
    public var latent = 20
    public var activation: Activation = .relu
    /// Number of classes (CVAE labels, classifier outputs).
    public var classes = 10
    public var likelihood: Likelihood = .bernoulli
    /// Gaussian likelihood's variance; nil = learned (one scalar).
    public var outputVariance: Float?
    /// Weight of the KL term (β-VAE).
    public var beta: Float = 1
    /// Epochs over which the KL weight rises linearly from 0 to β.
    public var klWarmupEpochs = 0
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
    public static let testBinarizationSeed: UInt64 = 20_150_101

    public init(kind: ModelKind) { self.kind = kind }

    public var isVariational: Bool { kind == .vae || kind == .cvae || kind == .iwae }
    public var isConditional: Bool { kind == .cvae }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    public static func from(json: String) throws -> ModelConfig {
        do { return try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) } catch {
            throw ModelError("not a valid model configuration (\(error)): \(json.prefix(200))")
        }
    }

    /// Checks sizes and combinations, with messages naming the flag.
    public func validate() throws {
        guard inputSize > 0, imageHeight * imageWidth == inputSize else { throw ModelError("image \(imageHeight)x\(imageWidth) does not match input size \(inputSize)") }
        guard hidden.allSatisfy({ $0 > 0 }) else { throw ModelError("--hidden: layer widths must be positive, got \(hidden)") }
        guard arch == .conv || !hidden.isEmpty else { throw ModelError("--hidden: an MLP needs at least one hidden layer") }
        guard latent > 0 else { throw ModelError("--latent: expected a positive size, got \(latent)") }
        guard classes > 1 else { throw ModelError("classes must be at least 2") }
        if arch == .conv {
            guard imageHeight % 4 == 0, imageWidth % 4 == 0 else { throw ModelError("--arch conv needs image sides divisible by 4, got \(imageHeight)x\(imageWidth)") }
            guard convChannels.count == 2, convChannels.allSatisfy({ $0 > 0 }) else { throw ModelError("conv channels must be two positive numbers") }
        }
        guard beta >= 0, beta.isFinite else { throw ModelError("--beta: expected a number ≥ 0, got \(beta)") }
        guard klWarmupEpochs >= 0 else { throw ModelError("--kl-warmup: expected epochs ≥ 0, got \(klWarmupEpochs)") }
        if let v = outputVariance, !(v > 0 && v.isFinite) { throw ModelError("--output-variance: expected a positive number or 'learned', got \(v)") }
        if let s = sparsity {
            guard kind == .sae else { throw ModelError("sparsity options apply to --model sae") }
            guard s.weight >= 0 else { throw ModelError("sparsity weight must be ≥ 0") }
            if s.kind == .kl { guard s.target > 0 && s.target < 1 else { throw ModelError("--sparsity-target: expected 0 < ρ < 1, got \(s.target)") } }
        }
        if let f = freeBits {
            guard f >= 0, f.isFinite else { throw ModelError("--free-bits: expected a number of nats ≥ 0, got \(f)") }
            guard kind == .vae || kind == .cvae else { throw ModelError("--free-bits applies to --model vae or cvae") }
        }
        if kind == .iwae {
            guard likelihood == .bernoulli else { throw ModelError("--model iwae supports --likelihood bernoulli only") }
            guard let k = importanceSamples, k >= 1, k <= 5000 else { throw ModelError("--k: expected 1…5000 importance samples for --model iwae") }
        }
        if kind == .dae && noise == nil { throw ModelError("--model dae needs --noise (e.g. gaussian:0.5)") }
        if noise != nil && kind != .dae { throw ModelError("--noise applies to --model dae") }
    }
}

/// A model's configuration or checkpoint that does not fit.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
