import Foundation
import LatentTensor

/// The denoising autoencoder: an autoencoder trained to reconstruct clean inputs from corrupted ones.
public enum DAE: ModelFamilyMember {
    /// Encodes and decodes.
    public static let capabilities: ModelCapabilities = [.reconstruct]
    /// Its training corruption, under "noise".
    public static let settingKeys = ["noise"]

    /// A `DenoisingAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        DenoisingAutoencoder(config, rng: &rng)
    }

    /// A corruption is required.
    public static func validate(_ c: ModelConfig) throws {
        if c.noise == nil { throw LatentError(.model, field: "noise", "a dae needs a corruption (e.g. gaussian:0.5)") }
    }

    /// Mean PSNR (dB) against the clean inputs of the corrupted inputs and of `model`'s reconstructions of them,
    /// over the batches `forEachBatch` walks (`count` examples of `features` values; corruption from `seed`).
    public static func denoisingPSNR(
        _ model: any ReconstructingModel, corrupt: @escaping (Tensor, inout RandomGenerator) -> Tensor,
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> (noisy: Double, denoised: Double) {
        var rng = RandomGenerator(seed: seed, stream: .corruption)
        var noisy = 0.0, denoised = 0.0
        forEachBatch { batch in
            let corrupted = corrupt(batch.x, &rng)
            let restored = model.reconstruct(corrupted, labels: batch.labels)
            for e in ReconstructionLoss.squaredErrors(corrupted, batch.x) {
                noisy += psnr(squaredError: e, features: features)
            }
            for e in ReconstructionLoss.squaredErrors(restored, batch.x) {
                denoised += psnr(squaredError: e, features: features)
            }
        }
        return (noisy / Double(count), denoised / Double(count))
    }

    /// PSNR in dB of an image with pixel range 1 given its summed squared error over `features` pixels.
    public static func psnr(squaredError: Double, features: Int) -> Double {
        10 * log10(1 / max(squaredError / Double(features), 1e-10))
    }
}

/// Input corruption for denoising: applied only in training (freshly sampled every batch) and by
/// `latent denoise`; never at plain evaluation. Corrupted pixels stay in [0, 1].
public struct Corruption: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The kind of corruption.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// x + N(0, σ²), clipped to [0, 1].
        case gaussian
        /// Each pixel zeroed with probability p.
        case mask
        /// Each pixel set to 0 or 1 (equally likely) with probability p.
        case saltPepper = "salt-pepper"
    }
    /// Which kind.
    public var kind: Kind
    /// σ for gaussian, p for mask and salt-pepper.
    public var amount: Float

    /// A corruption of `kind` and `amount`.
    public init(kind: Kind, amount: Float) {
        self.kind = kind
        self.amount = amount
    }

    /// Parses "gaussian:0.5", "mask:0.3", "salt-pepper:0.2".
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = Kind(rawValue: parts[0]), let amount = Float(parts[1]), amount >= 0,
            amount.isFinite
        else {
            throw LatentError(
                .model, field: "noise",
                "expected gaussian:σ, mask:p or salt-pepper:p (e.g. gaussian:0.5), got '\(text)'")
        }
        if kind != .gaussian && amount > 1 {
            throw LatentError(.model, field: "noise", "\(kind.rawValue): probability must be ≤ 1, got \(amount)")
        }
        self.kind = kind
        self.amount = amount
    }

    /// "gaussian:0.5".
    public var description: String { "\(kind.rawValue):\(amount)" }

    /// A corrupted copy of `x`.
    public func apply(_ x: Tensor, rng: inout RandomGenerator) -> Tensor {
        let y = Tensor(uninitialized: x.shape)
        let s = x.data, d = y.data, a = amount
        switch kind {
        case .gaussian:
            for i in 0..<x.count { d[i] = min(1, max(0, s[i] + a * rng.normal())) }
        case .mask:
            for i in 0..<x.count { d[i] = rng.uniform() < a ? 0 : s[i] }
        case .saltPepper:
            for i in 0..<x.count {
                let u = rng.uniform()
                d[i] = u < a ? (u < a / 2 ? 0 : 1) : s[i]
            }
        }
        return y
    }
}

extension ModelConfig {
    /// The DAE's training corruption.
    public var noise: Corruption? {
        get { setting("noise") }
        set { setSetting("noise", newValue) }
    }
}

/// An autoencoder trained on inputs corrupted by its `Corruption`, freshly drawn every batch.
public final class DenoisingAutoencoder: Autoencoder, CorruptingModel, MeasuredModel {
    /// The corruption (read from the configuration once).
    public let corruption: Corruption

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        corruption = c.noise ?? Corruption(kind: .mask, amount: 0)
        super.init(c, lastActivation: nil, rng: &rng)
    }

    /// The corrupted batch.
    public override func trainingInput(_ x: Tensor, rng: inout RandomGenerator) -> Tensor { corrupt(x, rng: &rng) }

    /// Draws the corruption `loss` would.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        _ = corrupt(Tensor(zeros: [rows, config.inputSize]), rng: &rng)
    }

    /// A corrupted copy of `x`.
    public func corrupt(_ x: Tensor, rng: inout RandomGenerator) -> Tensor { corruption.apply(x, rng: &rng) }

    /// psnr_noisy and psnr_denoised (dB) under the training corruption.
    public func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)] {
        let (noisy, denoised) = DAE.denoisingPSNR(
            self, corrupt: { [self] in corrupt($0, rng: &$1) }, forEachBatch: forEachBatch, count: count,
            features: features, seed: seed)
        return [("psnr_noisy", noisy), ("psnr_denoised", denoised)]
    }
}
