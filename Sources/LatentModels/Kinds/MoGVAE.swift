import LatentAutodiff
import LatentNN
import LatentTensor

/// The VAE with a learned mixture-of-Gaussians prior: p(z) = (1/C) Σ_c N(z; μ_c, diag σ_c²), the means and
/// log-variances trained with the networks ("prior_means", "prior_logvars" [C, latent]; means drawn from N(0, I),
/// log-variances 0). The KL term is the one-draw estimate log q(z|x) − log p(z).
public enum MoGVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// C under "mixtureComponents".
    public static let settingKeys = ["mixtureComponents"]

    /// A `GaussianMixturePriorAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        GaussianMixturePriorAutoencoder(config, rng: &rng)
    }

    /// 1 … 5000 components; no free bits.
    public static func validate(_ c: ModelConfig) throws {
        guard let k = c.mixtureComponents, (1...5000).contains(k) else {
            throw LatentError(.model, field: "mixtureComponents", "expected 1…5000 prior components for a mogvae")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The components' means and log-variances.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Double(2 * (c.mixtureComponents ?? 10) * c.latent)
    }
}

extension ModelConfig {
    /// The number C of a mixture prior's learned components.
    public var mixtureComponents: Int? {
        get { setting("mixtureComponents") }
        set { setSetting("mixtureComponents", newValue) }
    }
}

/// A VAE whose prior is a learned equal-weight mixture of C diagonal Gaussians.
public final class GaussianMixturePriorAutoencoder: MixturePriorAutoencoder {
    /// The components' means [C, latent].
    public let priorMeans: Parameter
    /// The components' log-variances [C, latent].
    public let priorLogVariances: Parameter

    /// A new model of configuration `c`: the VAE's networks as PyTorch initialises them, then the components.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        let k = c.mixtureComponents ?? 10
        let means = Tensor(uninitialized: [k, c.latent])
        var own = RandomGenerator(seed: rng.next())
        own.fillNormal(means)
        priorMeans = Parameter(means)
        priorLogVariances = Parameter(Tensor(zeros: [k, c.latent]))
        super.init(c, rng: &rng)
    }

    /// The VAE's parameters, then the components'.
    public override var ownParameters: [(name: String, parameter: Parameter)] {
        super.ownParameters + [("prior_means", priorMeans), ("prior_logvars", priorLogVariances)]
    }

    /// The learned components.
    public override func priorComponents() -> (mean: Variable, logVariance: Variable) {
        (priorMeans.variable, priorLogVariances.variable)
    }
}
