import LatentAutodiff
import LatentNN
import LatentTensor

/// FactorVAE (Kim & Mnih 2018, "Disentangling by factorising"; Pythae's `FactorVAE`): the VAE's networks with a
/// penalty γ·TC on the total correlation of its codes, estimated by a discriminator that tells codes z ~ q(z)
/// from codes whose dimensions were shuffled independently across the batch (draws of Π_j q(z_j)):
/// TC ≈ Σ (D₀ − D₁) of its two logits. The discriminator (Pythae's: 5 × 1000 units, LeakyReLU(0.2)) trains on
/// the same step with Adam at its own rate, on the batch's codes and on the codes shuffled (disentanglement_lib's
/// use of one batch; Pythae splits the batch in halves; with data-parallel workers, each shuffles its own share).
/// As the paper, each loss reaches only its own parameters: the TC penalty sees the discriminator as constants,
/// the discriminator sees the codes as constants.
public enum FactorVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its N(0, I) prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// γ under "factorGamma", the discriminator under "discriminator".
    public static let settingKeys = ["factorGamma", "discriminator"]
    /// Pythae's γ.
    public static let defaultGamma: Float = 2
    /// Pythae's discriminator, trained as the paper's (Adam, 1e-4, β = (0.5, 0.9)).
    public static let defaultDiscriminator = DiscriminatorSettings(
        width: 1000, layers: 5, learningRate: 1e-4, beta1: 0.5, beta2: 0.9)

    /// A `FactorAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        FactorAutoencoder(config, rng: &rng)
    }

    /// γ in [0, 1000], a valid discriminator; β and free bits do not apply.
    public static func validate(_ c: ModelConfig) throws {
        let gamma = c.factorGamma ?? defaultGamma
        guard gamma >= 0, gamma <= 1000, gamma.isFinite else {
            throw LatentError(.model, field: "factorGamma", "expected a weight in [0, 1000], got \(gamma)")
        }
        try (c.discriminator ?? defaultDiscriminator).validate()
        guard c.beta == 1 else {
            throw LatentError(.model, field: "beta", "a factorvae weighs its total correlation with its own γ")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The discriminator's weights and biases.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Discriminator.parameterCount(input: c.latent, output: 2, settings: c.discriminator ?? defaultDiscriminator)
    }
}

extension ModelConfig {
    /// FactorVAE's weight γ of the total correlation (nil: `FactorVAE.defaultGamma`).
    public var factorGamma: Float? {
        get { setting("factorGamma") }
        set { setSetting("factorGamma", newValue) }
    }
}

/// A `VariationalAutoencoder` with a discriminator of shuffled codes, trained on reconstruction + KL + γ·TC (the
/// VAE's parameters) and the discriminator's cross-entropy (its own).
public final class FactorAutoencoder: VariationalAutoencoder, GroupOptimizedModel {
    /// γ (read from the configuration once).
    public let gamma: Float
    /// The discriminator's settings.
    public let settings: DiscriminatorSettings
    /// Codes [n, latent] → logits [n, 2] of "drawn from q(z)" (0) and "shuffled" (1).
    public let discriminator: Discriminator
    /// [[1], [−1]]: the logits' difference D₀ − D₁ as a product.
    private let margin = Tensor([1, -1], shape: [2, 1])

    /// A new model of configuration `c` (its discriminator drawn first).
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        gamma = c.factorGamma ?? FactorVAE.defaultGamma
        settings = c.discriminator ?? FactorVAE.defaultDiscriminator
        discriminator = Discriminator(
            input: c.latent, output: 2, settings: settings, activation: LeakyReLU(slope: 0.2), rng: &rng)
        super.init(c, rng: &rng)
    }

    /// The VAE's networks, then the discriminator.
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + [("discriminator", discriminator)]
    }

    /// The discriminator trains at its own rate.
    public var optimizerGroups: [OptimizerGroup] { [settings.group(module: "discriminator")] }

    /// D₀ − D₁ of each row's logits: [n, 1].
    private func margins(_ logits: Variable) -> Variable { Variable.matmul(logits, Variable(margin)) }

    /// Reconstruction + KL + γ·TC and the discriminator's loss ½·Σ [CE(D(z), 0) + CE(D(shuffled z), 1)], all
    /// summed over the batch; a KL warm-up (`klWeight` below 1) scales the KL and γ alike. Draws the noise, then
    /// one permutation of the rows per code dimension. Parts: "reconstruction", "kl", "total_correlation" (the
    /// estimate Σ (D₀ − D₁)), "discriminator".
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let n = batch.count, ramp = klWeight ?? 1
        let (mu, logVar, z, recon) = forward(batch, noise: noise(rows: n, rng: &rng))
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let tc = margins(discriminator.frozen(z)).sum()
        // The discriminator judges the codes and their shuffle in one pass of 2n rows, as constants.
        let both = Tensor(uninitialized: [2 * n, config.latent])
        shuffleColumns(z.value, into: both, rng: &rng)
        let signs = Tensor(uninitialized: [2 * n, 1])
        for i in 0..<(2 * n) { signs.data[i] = i < n ? -1 : 1 }
        let judged = (margins(discriminator(Variable(both))) * Variable(signs)).softplus().sum() * 0.5
        let total = recon + kl * ramp + tc * (gamma * ramp) + judged
        return LossTerms(
            total: total,
            parts: [
                ("reconstruction", recon.value.scalar), ("kl", kl.value.scalar),
                ("total_correlation", tc.value.scalar), ("discriminator", judged.value.scalar),
            ])
    }

    /// Rows 0..<n of `out` are z's, rows n..<2n z's with each column's rows permuted (a permutation per column,
    /// drawn from `rng` in column order).
    private func shuffleColumns(_ z: Tensor, into out: Tensor, rng: inout RandomGenerator) {
        let n = z.shape[0], d = z.shape[1]
        out.data.update(from: z.data, count: n * d)
        let shuffled = out.data + n * d
        for j in 0..<d {
            let p = rng.permutation(n)
            for i in 0..<n { shuffled[i * d + j] = z.data[p[i] * d + j] }
        }
    }

    /// Draws what `loss` draws: the noise and a permutation per code dimension.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        _ = noise(rows: rows, rng: &rng)
        for _ in 0..<config.latent { _ = rng.permutation(rows) }
    }
}
