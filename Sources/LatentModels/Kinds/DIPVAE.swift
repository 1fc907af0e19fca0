import LatentAutodiff
import LatentNN
import LatentTensor

/// DIP-VAE (Kumar et al. 2018, "Variational inference of disentangled latent concepts from unlabeled
/// observations"; PyTorch-VAE's `DIPVAE`, whose loss departs from the paper's: Latent follows the paper): the VAE's
/// ELBO plus, per example, a penalty pushing the covariance of the batch's codes toward the identity
/// (`Variable.decorrelationPenalty`): of the posterior means (type I, λ_d = 10·λ_od by default) or of the codes
/// (type II, λ_d = λ_od).
public enum DIPVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior; the covariance pairs the batch's codes (`BatchCoupledModel`).
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// The penalty, under "decorrelation".
    public static let settingKeys = ["decorrelation"]

    /// A `DecorrelatedAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        DecorrelatedAutoencoder(config, rng: &rng)
    }

    /// Weights in [0, 10⁴]; β applies to the KL as in a VAE; no free bits.
    public static func validate(_ c: ModelConfig) throws {
        let d = c.decorrelation ?? Decorrelation()
        for (name, value) in [("dipOffDiagonal", d.offDiagonal), ("dipDiagonal", d.diagonalWeight)] {
            guard value >= 0, value <= 10_000, value.isFinite else {
                throw LatentError(.model, field: name, "expected a weight in [0, 10000], got \(value)")
            }
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// Threads share the batch's codes; processes do not.
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        processes ? "the dipvae's covariance pairs every code of the batch; train it in one process" : nil
    }
}

/// DIP-VAE's penalty: its type and weights.
public struct Decorrelation: Codable, Equatable, Sendable {
    /// Type II: the covariance of the codes (means and posterior variances); type I: of the means.
    public var typeTwo = false
    /// λ_od, on the off-diagonal entries.
    public var offDiagonal: Float = 10
    /// λ_d on the diagonal (nil: 10·λ_od for type I, λ_od for type II, as the paper sets them).
    public var diagonal: Float?

    /// A penalty of `typeTwo`, λ_od and λ_d.
    public init(typeTwo: Bool = false, offDiagonal: Float = 10, diagonal: Float? = nil) {
        (self.typeTwo, self.offDiagonal, self.diagonal) = (typeTwo, offDiagonal, diagonal)
    }

    /// λ_d in use.
    public var diagonalWeight: Float { diagonal ?? (typeTwo ? offDiagonal : 10 * offDiagonal) }
}

extension ModelConfig {
    /// DIP-VAE's penalty (nil: `Decorrelation()`, type I).
    public var decorrelation: Decorrelation? {
        get { setting("decorrelation") }
        set { setSetting("decorrelation", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on the negative ELBO + n·DIP penalty.
public final class DecorrelatedAutoencoder: VariationalAutoencoder, BatchCoupledModel {
    /// The penalty (read from the configuration once).
    public let penalty: Decorrelation

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        penalty = c.decorrelation ?? Decorrelation()
        super.init(c, rng: &rng)
    }

    /// The objective with given noise: parts "reconstruction", "kl" and "dip" (n times the penalty).
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        var unused = RandomGenerator(seed: 0)  // the penalty draws nothing
        return completed(
            localLoss(batch, noise: noise, klWeight: klWeight), batch: batch, klWeight: klWeight, rng: &unused)
    }

    /// The ELBO terms of `share`, and its posterior means and log-variances.
    public func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (
        local: LossTerms, values: [Variable]
    ) {
        localLoss(share, noise: noise(rows: share.count, rng: &rng), klWeight: klWeight)
    }

    func localLoss(_ share: Batch, noise: Tensor, klWeight: Float?) -> (local: LossTerms, values: [Variable]) {
        let (mu, logVar, _, recon) = forward(share, noise: noise)
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let weight = klWeight ?? config.beta
        return (
            LossTerms(
                total: weight == 1 ? recon + kl : recon + kl * weight,
                parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)]), [mu, logVar]
        )
    }

    /// n times the penalty on the whole batch's means (and, type II, log-variances).
    public func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms {
        let dip =
            Variable.decorrelationPenalty(
                mean: values[0], logVariance: values[1], withVariances: penalty.typeTwo,
                offDiagonal: penalty.offDiagonal, diagonal: penalty.diagonalWeight) * Float(batch.count)
        return LossTerms(total: dip, parts: [("dip", dip.value.scalar)])
    }
}
