import LatentAutodiff
import LatentNN
import LatentTensor

/// FactorVAE (Kim & Mnih 2018, "Disentangling by factorising"; Pythae's `FactorVAE`): the VAE's networks with a
/// penalty γ·TC on the total correlation of its codes, estimated by a discriminator that tells codes z ~ q(z)
/// from codes whose dimensions were shuffled independently across the batch (draws of Π_j q(z_j)):
/// TC ≈ Σ (D₀ − D₁) of its two logits. The discriminator (Pythae's: 5 × 1000 units, LeakyReLU(0.2)) trains on
/// the same step with Adam at its own rate. Each batch is split as Pythae splits it: the VAE trains on one half,
/// the other half's codes are shuffled for the discriminator (with data-parallel workers, each splits its share).
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

    /// The paper's step on one batch split in two (Kim & Mnih's two batches; Pythae's halves): the first
    /// n − ⌊n/2⌋ rows train the VAE on reconstruction + KL + γ·TC, the other ⌊n/2⌋ are encoded (no graph)
    /// and their codes shuffled; the discriminator's loss is ½·[mean CE(D(z), 0) over the first +
    /// mean CE(D(shuffled), 1) over the second]. Terms are scaled to sums over the whole batch (the VAE's by
    /// n / its rows, the discriminator's by n), so per example they are Pythae's. A KL warm-up (`klWeight`
    /// below 1) scales the KL and γ alike. Draws the noise of all n rows, then one permutation per code
    /// dimension. Parts: "reconstruction", "kl", "total_correlation" (the estimate Σ (D₀ − D₁)),
    /// "discriminator".
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let n = batch.count, d = config.latent, ramp = klWeight ?? 1
        let (first, second) = (n - n / 2, n / 2)
        let eps = noise(rows: n, rng: &rng)
        let (mu, logVar, z, recon) = forward(Batch(x: batch.x.rows(0..<first)), noise: eps.rows(0..<first))
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let tc = margins(discriminator.frozen(z)).sum()
        // The discriminator judges the first half's codes and the second half's shuffled, as constants, in one pass.
        let judgedRows = Tensor(uninitialized: [n, d])
        judgedRows.data.update(from: z.value.data, count: first * d)
        if second > 0 {
            let (m, lv) = encodeDistribution(batch.x.rows(first..<n))
            let codes = (judgedRows.data + first * d), e = eps.data + first * d
            for i in 0..<(second * d) { codes[i] = m.data[i] + VectorMath.exp(0.5 * lv.data[i]) * e[i] }
            shuffleColumns(codes, rows: second, columns: d, rng: &rng)
        }
        // softplus(∓(D₀ − D₁)) is the cross-entropy of class 0 (codes) and class 1 (shuffled); the weights
        // make means.
        let signs = Tensor(uninitialized: [n, 1]), weights = Tensor(uninitialized: [n, 1])
        for i in 0..<n {
            signs.data[i] = i < first ? -1 : 1
            weights.data[i] = 0.5 * Float(n) / Float(i < first ? first : second)
        }
        let judged = ((margins(discriminator(Variable(judgedRows))) * Variable(signs)).softplus() * Variable(weights))
            .sum()
        let scale = Float(n) / Float(first)
        let total = (recon + kl * ramp + tc * (gamma * ramp)) * scale + judged
        return LossTerms(
            total: total,
            parts: [
                ("reconstruction", recon.value.scalar * scale), ("kl", kl.value.scalar * scale),
                ("total_correlation", tc.value.scalar * scale), ("discriminator", judged.value.scalar),
            ])
    }

    /// Permutes the rows of each column of the [rows, columns] block at `codes` in place (a permutation per column,
    /// drawn from `rng` in column order).
    private func shuffleColumns(
        _ codes: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rng: inout RandomGenerator
    ) {
        let column = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { column.deallocate() }
        for j in 0..<columns {
            let p = rng.permutation(rows)
            for i in 0..<rows { column[i] = codes[p[i] * columns + j] }
            for i in 0..<rows { codes[i * columns + j] = column[i] }
        }
    }

    /// Draws what `loss` draws: the noise and a permutation per code dimension of the second half.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        _ = noise(rows: rows, rng: &rng)
        if rows / 2 > 0 { for _ in 0..<config.latent { _ = rng.permutation(rows / 2) } }
    }
}
