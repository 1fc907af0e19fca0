import LatentAutodiff
import LatentNN
import LatentTensor

/// The VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity metric"; Pythae's
/// `VAEGAN`): the VAE's networks with a discriminator of pictures (real, or decoded from prior draws) whose
/// layer-l activations replace the pixels in the reconstruction term, R = ½‖f_l(x) − f_l(x̂)‖². Three losses,
/// as Pythae's `CoupledOptimizerAdversarialTrainer` has them, each reaching its own parameters: the encoder
/// KL + R; the decoder (1 − s)·R − s·L_D; the discriminator L_D = BCE(D(x), real) + BCE(D(x̂_prior),
/// generated). One backward pass makes all three: the decoder's pictures of the codes pass back the encoder's
/// share of R at 1/(1 − s) of the decoder's, the prior pictures pass back −s of the discriminator's gradient (a
/// reversal), and R sees the discriminator as constants. The equilibrium gate of Pythae (and the paper's code)
/// holds a group for the step: the discriminator when either cross-entropy is below equilibrium − margin, the
/// decoder when either is above equilibrium + margin (both train when both would wait). Unlike Pythae's
/// trainer, whose successive `backward` calls also leave the decoder's loss in the encoder's gradient and, when
/// the discriminator trains, the discriminator's loss in the decoder's, each loss here reaches only its own
/// network, as the paper's algorithm states.
public enum VAEGAN: ModelFamilyMember {
    /// Encodes, decodes and samples from its N(0, I) prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// s under "adversarialWeight", the discriminator under "discriminator", l under "featureLayer", the gate under
    /// "ganEquilibrium" and "ganMargin".
    public static let settingKeys = [
        "adversarialWeight", "discriminator", "featureLayer", "ganEquilibrium", "ganMargin",
    ]
    /// Pythae's s (`adversarial_loss_scale`).
    public static let defaultWeight: Float = 0.5
    /// Pythae's discriminator (`Discriminator_MLP`: pictures → 256 → ReLU → 1) and its trainer's rate.
    public static let defaultDiscriminator = DiscriminatorSettings(
        width: 256, layers: 1, learningRate: 1e-4, beta1: 0.9, beta2: 0.999)
    /// Pythae's equilibrium and margin.
    public static let defaultEquilibrium: Float = 0.68, defaultMargin: Float = 0.4

    /// A `VAEGANAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        VAEGANAutoencoder(config, rng: &rng)
    }

    /// s in [0, 1) (at 1 the decoder would ignore the reconstruction), a feature layer of the discriminator, an
    /// equilibrium in (0, 100] and a margin in [0, 100]; β and free bits do not apply.
    public static func validate(_ c: ModelConfig) throws {
        let weight = c.adversarialWeight ?? defaultWeight
        guard weight >= 0, weight < 1 else {
            throw LatentError(.model, field: "adversarialWeight", "expected a weight in [0, 1), got \(weight)")
        }
        let d = c.discriminator ?? defaultDiscriminator
        try d.validate()
        if let l = c.featureLayer, !(1...(d.layers + 1)).contains(l) {
            throw LatentError(
                .model, field: "featureLayer",
                "expected a layer of the discriminator, 1 … \(d.layers + 1) (its sigmoid output), got \(l)")
        }
        let e = c.ganEquilibrium ?? defaultEquilibrium, m = c.ganMargin ?? defaultMargin
        guard e > 0, e <= 100 else {
            throw LatentError(.model, field: "ganEquilibrium", "expected a cross-entropy in (0, 100], got \(e)")
        }
        guard m >= 0, m <= 100 else {
            throw LatentError(.model, field: "ganMargin", "expected a margin in [0, 100], got \(m)")
        }
        guard c.beta == 1 else { throw LatentError(.model, field: "beta", "a vaegan's KL is not weighed") }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The discriminator's weights and biases.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Discriminator.parameterCount(input: c.inputSize, output: 1, settings: c.discriminator ?? defaultDiscriminator)
    }
}

extension ModelConfig {
    /// The VAE-GAN's discriminator layer whose activations its reconstruction compares (nil: the last hidden one).
    public var featureLayer: Int? {
        get { setting("featureLayer") }
        set { setSetting("featureLayer", newValue) }
    }
    /// The VAE-GAN's equilibrium cross-entropy of its gate (nil: `VAEGAN.defaultEquilibrium`).
    public var ganEquilibrium: Float? {
        get { setting("ganEquilibrium") }
        set { setSetting("ganEquilibrium", newValue) }
    }
    /// The VAE-GAN's margin around the equilibrium (nil: `VAEGAN.defaultMargin`).
    public var ganMargin: Float? {
        get { setting("ganMargin") }
        set { setSetting("ganMargin", newValue) }
    }
}

/// A `VariationalAutoencoder` whose reconstruction is measured in a discriminator's features, trained as a GAN.
public final class VAEGANAutoencoder: VariationalAutoencoder, GatedGroupsModel {
    /// s, the decoder's weight of fooling the discriminator against reconstructing.
    public let weight: Float
    /// The discriminator layer l of the features (layers + 1: its sigmoid output, Pythae's default).
    public let featureLayer: Int
    /// The gate's equilibrium and margin.
    public let equilibrium: Float, margin: Float
    /// The discriminator's settings.
    public let settings: DiscriminatorSettings
    /// Pictures [n, inputSize] → the logit [n, 1] of "real".
    public let discriminator: Discriminator

    /// A new model of configuration `c` (its discriminator drawn first).
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        weight = c.adversarialWeight ?? VAEGAN.defaultWeight
        settings = c.discriminator ?? VAEGAN.defaultDiscriminator
        featureLayer = c.featureLayer ?? settings.layers
        (equilibrium, margin) = (c.ganEquilibrium ?? VAEGAN.defaultEquilibrium, c.ganMargin ?? VAEGAN.defaultMargin)
        discriminator = Discriminator(
            input: c.inputSize, output: 1, settings: settings, activation: ActivationLayer(.relu), rng: &rng)
        super.init(c, rng: &rng)
    }

    /// The VAE's networks, then the discriminator.
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + [("discriminator", discriminator)]
    }

    /// The decoder in a group of its own (so that the gate can hold it), the discriminator at its own rate.
    public var optimizerGroups: [OptimizerGroup] {
        [OptimizerGroup(module: "decoder"), settings.group(module: "discriminator")]
    }

    /// The pictures (the likelihood's mean) the decoder makes of codes `z`.
    private func pictures(_ z: Variable) -> Variable {
        config.hasIdentityMean ? decoder(z) : decoder(z).sigmoid()
    }

    /// The three losses in one graph (see `VAEGAN`), summed over the batch; its value is Pythae's reported loss,
    /// KL + (2 − s)·R + (1 − s)·L_D. Draws the posterior's noise, then the prior's draws. Parts: "reconstruction"
    /// (R), "kl", "discriminator_real" and "discriminator_prior" (the two cross-entropies of L_D, which the gate
    /// reads).
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let n = batch.count, s = weight
        let eps = noise(rows: n, rng: &rng), prior = noise(rows: n, rng: &rng)
        let (mu, logVar) = posterior(Variable(batch.x))
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: eps)
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let (realLogits, realFeatures) = discriminator.logitsAndFeatures(Variable(batch.x), depth: featureLayer)
        let decoded = pictures(z.scalingGradient(by: 1 / (1 - s)))
        let reconstructed = discriminator.frozenFeatures(decoded, depth: featureLayer)
        let r = (reconstructed - Variable(realFeatures)).square().sum() * 0.5
        let generated = pictures(Variable(prior)).scalingGradient(by: -s)
        let real = (realLogits * -1).softplus().sum(), fake = discriminator(generated).softplus().sum()
        let objective = kl * (klWeight ?? 1) + r * (1 - s) + real + fake
        let (kv, rv, dv) = (kl.value.scalar, r.value.scalar, real.value.scalar + fake.value.scalar)
        let reported = kv + (2 - s) * rv + (1 - s) * dv
        return LossTerms(
            total: objective + (reported - objective.value.scalar),
            parts: [
                ("reconstruction", rv), ("kl", kv), ("discriminator_real", real.value.scalar),
                ("discriminator_prior", fake.value.scalar),
            ])
    }

    /// Draws what `loss` draws: the posterior's noise and the prior's draws.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        _ = noise(rows: rows, rng: &rng)
        _ = noise(rows: rows, rng: &rng)
    }

    /// Pythae's gate: the discriminator waits while either mean cross-entropy is below equilibrium − margin, the
    /// decoder while either is above equilibrium + margin; both train when both would wait.
    public func heldGroups(parts: [(name: String, value: Float)], rows: Int) -> [String] {
        let n = Float(max(1, rows))
        let real = (parts.first { $0.name == "discriminator_real" }?.value ?? 0) / n
        let prior = (parts.first { $0.name == "discriminator_prior" }?.value ?? 0) / n
        let holdDiscriminator = min(real, prior) < equilibrium - margin
        let holdDecoder = max(real, prior) > equilibrium + margin
        guard holdDiscriminator != holdDecoder else { return [] }
        return holdDiscriminator ? ["discriminator"] : ["decoder"]
    }
}
