import LatentAutodiff
import LatentNN
import LatentTensor

/// The log-cosh VAE (Chen et al. 2019, "Log hyperbolic cosine loss improves variational auto-encoder";
/// PyTorch-VAE's `LogCoshVAE`): the VAE's networks and KL term, with the reconstruction term
/// Σ (1/α)·log cosh(α·(x̂ − x)) on the decoder's mean x̂: the squared error's smoothness near 0, the
/// absolute error's robustness further out. Summed over features and examples, as every loss here (PyTorch-VAE averages
/// them and weighs the KL by the batch's share of the data).
public enum LogCoshVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior (its loss is not a likelihood bound: no ELBO is reported).
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// α, under "logCoshAlpha".
    public static let settingKeys = ["logCoshAlpha"]
    /// PyTorch-VAE's α.
    public static let defaultAlpha: Float = 10

    /// A `LogCoshAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        LogCoshAutoencoder(config, rng: &rng)
    }

    /// Σ (1/α)·log cosh(α·(sigmoid(logits) − targets)), summed over every value; log cosh(u) is computed as
    /// |u| + softplus(−2|u|) − log 2, which cannot overflow.
    public static func reconstruction(logits: Variable, targets: Tensor, alpha: Float) -> Variable {
        let magnitude = ((logits.sigmoid() - Variable(targets)) * alpha).abs()
        return (magnitude + (magnitude * -2).softplus() + -VectorMath.log(2)).sum() * (1 / alpha)
    }

    /// 0 < α ≤ 1000; the decoder's mean is the sigmoid of its logits (no Gaussian likelihood to learn).
    public static func validate(_ c: ModelConfig) throws {
        let alpha = c.logCoshAlpha ?? defaultAlpha
        guard alpha > 0, alpha <= 1000, alpha.isFinite else {
            throw LatentError(.model, field: "logCoshAlpha", "expected 0 < α ≤ 1000, got \(alpha)")
        }
        guard c.likelihood == .bernoulli else {
            throw LatentError(
                .model, field: "likelihood",
                "a logcoshvae's reconstruction term is its own (log-cosh of the sigmoid mean's error): keep bernoulli")
        }
    }
}

extension ModelConfig {
    /// The log-cosh VAE's α (nil: `LogCoshVAE.defaultAlpha`).
    public var logCoshAlpha: Float? {
        get { setting("logCoshAlpha") }
        set { setSetting("logCoshAlpha", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on Σ (1/α)·log cosh(α·(sigmoid(logits) − x)) + β·KL.
public final class LogCoshAutoencoder: VariationalAutoencoder {
    /// α (read from the configuration once).
    public let alpha: Float

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        alpha = c.logCoshAlpha ?? LogCoshVAE.defaultAlpha
        super.init(c, rng: &rng)
    }

    /// The log-cosh reconstruction term (`LogCoshVAE.reconstruction`) and β·KL with given standard-normal noise
    /// [n, latent]; the parts are "log_cosh" and "kl".
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: noise)
        let logCosh = LogCoshVAE.reconstruction(logits: logits(z, labels: batch.labels), targets: batch.x, alpha: alpha)
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let klTerm =
            config.freeBits.map { Variable.gaussianKLFreeBits(mean: mu, logVariance: logVar, lambda: $0) } ?? kl
        let weight = klWeight ?? config.beta
        return LossTerms(
            total: logCosh + (weight == 1 ? klTerm : klTerm * weight),
            parts: [("log_cosh", logCosh.value.scalar), ("kl", kl.value.scalar)])
    }
}
