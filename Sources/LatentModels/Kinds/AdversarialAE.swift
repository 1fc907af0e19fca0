import LatentAutodiff
import LatentNN
import LatentTensor

/// The adversarial autoencoder (Makhzani et al. 2016; Pythae's `Adversarial_AE`): the VAE's networks trained on
/// the reconstruction and, instead of a KL term, on fooling a discriminator that tells the codes z ~ q(z|x) from
/// draws of the N(0, I) prior — α·BCE(D(z), prior) for the autoencoder, BCE(D(prior), prior) + BCE(D(z), code) for
/// the discriminator (Pythae's `Discriminator_MLP`: latent → 256 → ReLU → 1), which trains at its own rate. Each
/// loss reaches only its own parameters, as Pythae's trainer has it.
public enum AdversarialAE: ModelFamilyMember {
    /// Encodes, decodes and samples from the prior its codes were pushed to; its posterior is Gaussian (the ELBO
    /// and importance sampling apply to it as to any encoder).
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// α under "adversarialWeight", the discriminator under "discriminator".
    public static let settingKeys = ["adversarialWeight", "discriminator"]
    /// Pythae's α (`adversarial_loss_scale`).
    public static let defaultWeight: Float = 0.5
    /// Pythae's discriminator and its trainer's optimiser (Adam, 1e-4, PyTorch's decays).
    public static let defaultDiscriminator = DiscriminatorSettings(
        width: 256, layers: 1, learningRate: 1e-4, beta1: 0.9, beta2: 0.999)

    /// An `AdversarialAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        AdversarialAutoencoder(config, rng: &rng)
    }

    /// α in [0, 1000], a valid discriminator; β and free bits do not apply (there is no KL term).
    public static func validate(_ c: ModelConfig) throws {
        let weight = c.adversarialWeight ?? defaultWeight
        guard weight >= 0, weight <= 1000, weight.isFinite else {
            throw LatentError(.model, field: "adversarialWeight", "expected a weight in [0, 1000], got \(weight)")
        }
        try (c.discriminator ?? defaultDiscriminator).validate()
        guard c.beta == 1 else { throw LatentError(.model, field: "beta", "an aae has no KL term to weigh") }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The discriminator's weights and biases.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Discriminator.parameterCount(input: c.latent, output: 1, settings: c.discriminator ?? defaultDiscriminator)
    }
}

extension ModelConfig {
    /// The adversarial AE's weight α of its adversarial term (nil: `AdversarialAE.defaultWeight`).
    public var adversarialWeight: Float? {
        get { setting("adversarialWeight") }
        set { setSetting("adversarialWeight", newValue) }
    }
}

/// A `VariationalAutoencoder` whose codes are matched to the prior by a discriminator instead of a KL term.
public final class AdversarialAutoencoder: VariationalAutoencoder, GroupOptimizedModel {
    /// α (read from the configuration once).
    public let weight: Float
    /// The discriminator's settings.
    public let settings: DiscriminatorSettings
    /// Codes [n, latent] → the logit [n, 1] of "drawn from the prior".
    public let discriminator: Discriminator

    /// A new model of configuration `c` (its discriminator drawn first).
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        weight = c.adversarialWeight ?? AdversarialAE.defaultWeight
        settings = c.discriminator ?? AdversarialAE.defaultDiscriminator
        discriminator = Discriminator(
            input: c.latent, output: 1, settings: settings, activation: ActivationLayer(.relu), rng: &rng)
        super.init(c, rng: &rng)
    }

    /// The VAE's networks, then the discriminator.
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + [("discriminator", discriminator)]
    }

    /// The discriminator trains at its own rate.
    public var optimizerGroups: [OptimizerGroup] { [settings.group(module: "discriminator")] }

    /// Reconstruction + α·Σ BCE(D(z), prior) (the discriminator held fixed) and the discriminator's
    /// Σ [BCE(D(prior draw), prior) + BCE(D(z), code)] (the codes held fixed), all summed over the batch. Draws the
    /// posterior's noise, then the prior's draws. Parts: "reconstruction", "adversarial", "discriminator".
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let n = batch.count, d = config.latent
        let (_, _, z, recon) = forward(batch, noise: noise(rows: n, rng: &rng))
        let fooled = (discriminator.frozen(z) * -1).softplus().sum()
        // The discriminator judges prior draws (rows 0..<n) and the codes (rows n..<2n) in one pass.
        let both = Tensor(uninitialized: [2 * n, d])
        rng.fillNormal(both.data, count: n * d)
        (both.data + n * d).update(from: z.value.data, count: n * d)
        let signs = Tensor(uninitialized: [2 * n, 1])
        for i in 0..<(2 * n) { signs.data[i] = i < n ? -1 : 1 }
        let judged = (discriminator(Variable(both)) * Variable(signs)).softplus().sum()
        return LossTerms(
            total: recon + fooled * weight + judged,
            parts: [
                ("reconstruction", recon.value.scalar), ("adversarial", fooled.value.scalar),
                ("discriminator", judged.value.scalar),
            ])
    }

    /// Draws what `loss` draws: the posterior's noise and the prior's draws.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        _ = noise(rows: rows, rng: &rng)
        _ = noise(rows: rows, rng: &rng)
    }
}
