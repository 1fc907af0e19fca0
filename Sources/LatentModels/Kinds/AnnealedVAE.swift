import LatentAutodiff
import LatentNN
import LatentTensor

/// The β-VAE with an annealed capacity (Burgess et al. 2018, "Understanding disentangling in β-VAE"; Pythae's
/// `DisentangledBetaVAE`): the VAE's networks trained on reconstruction + γ·|KL − C(t)| per example, the capacity
/// C(t) = C·min(t / (T + 1), 1) raised with the training epoch t (1, 2, …) over T warm-up epochs, as Pythae raises
/// it. Outside training (evaluation, `latent eval`) the capacity is the full C.
public enum AnnealedVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// γ, C and T, under "capacity".
    public static let settingKeys = ["capacity"]

    /// An `AnnealedCapacityAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        AnnealedCapacityAutoencoder(config, rng: &rng)
    }

    /// 0 ≤ γ ≤ 10⁴, 0 ≤ C ≤ 10⁴ nats, 0 ≤ T ≤ 10⁶ epochs; β and free bits do not apply.
    public static func validate(_ c: ModelConfig) throws {
        let s = c.capacity ?? Capacity()
        for (name, value) in [("capacityWeight", s.weight), ("capacity", s.nats)] {
            guard value >= 0, value <= 10_000, value.isFinite else {
                throw LatentError(.model, field: name, "expected a number in [0, 10000], got \(value)")
            }
        }
        guard (0...1_000_000).contains(s.warmupEpochs) else {
            throw LatentError(.model, field: "capacityEpochs", "expected 0…1000000 epochs, got \(s.warmupEpochs)")
        }
        guard c.beta == 1 else {
            throw LatentError(
                .model, field: "beta", "an annealedvae weighs |KL − C| by its own γ (`capacityWeight`)")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }
}

/// The annealed capacity: γ, the final C and the warm-up epochs T (Pythae's defaults: 10, 50, 25).
public struct Capacity: Codable, Equatable, Sendable {
    /// γ, the weight of |KL − C(t)|.
    public var weight: Float = 10
    /// C, the final capacity in nats.
    public var nats: Float = 50
    /// T: C(t) = C·min(t / (T + 1), 1).
    public var warmupEpochs = 25

    /// A capacity of weight γ, C nats and T warm-up epochs.
    public init(weight: Float = 10, nats: Float = 50, warmupEpochs: Int = 25) {
        (self.weight, self.nats, self.warmupEpochs) = (weight, nats, warmupEpochs)
    }

    /// C(t) at training epoch t (nil: outside training, the full C).
    public func at(epoch: Int?) -> Float {
        guard let epoch else { return nats }
        return nats * min(Float(epoch) / Float(warmupEpochs + 1), 1)
    }
}

extension ModelConfig {
    /// The annealed β-VAE's capacity (nil: `Capacity()`).
    public var capacity: Capacity? {
        get { setting("capacity") }
        set { setSetting("capacity", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on reconstruction + γ·|KL − C(t)| per example.
public final class AnnealedCapacityAutoencoder: VariationalAutoencoder {
    /// γ, C and T (read from the configuration once).
    public let capacity: Capacity

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        capacity = c.capacity ?? Capacity()
        super.init(c, rng: &rng)
    }

    /// The objective with given noise: parts "reconstruction", "kl" (unweighted) and "capacity_gap"
    /// (γ·Σ|KL − C(t)| at the batch's epoch); a KL warm-up scales γ.
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let (mu, logVar, _, recon) = forward(batch, noise: noise)
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let gap =
            Variable.gaussianKLDistance(mean: mu, logVariance: logVar, capacity: capacity.at(epoch: batch.epoch))
            * (capacity.weight * (klWeight ?? 1))
        return LossTerms(
            total: recon + gap,
            parts: [
                ("reconstruction", recon.value.scalar), ("kl", kl.value.scalar), ("capacity_gap", gap.value.scalar),
            ])
    }
}
