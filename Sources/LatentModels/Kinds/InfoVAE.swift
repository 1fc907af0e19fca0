import LatentAutodiff
import LatentNN
import LatentTensor

/// InfoVAE with the MMD divergence (Zhao et al. 2019; Pythae's `INFOVAE_MMD`): the VAE's networks, trained on
/// reconstruction + (1 − α)·KL + (α + λ − 1)·MMD(z, N(0, I) draws), per example. α = 0 and λ = 1000 by
/// default (Pythae's defaults, α = 0 and λ = 0.001, weigh the MMD by −0.999; give them with the flags to match it).
public enum InfoVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior; the MMD pairs the batch's codes (`BatchCoupledModel`).
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// α under "infoAlpha", λ under "infoLambda", the kernel under "mmdKernel".
    public static let settingKeys = ["infoAlpha", "infoLambda", "mmdKernel"]
    /// Defaults of α and λ.
    public static let defaults: (alpha: Float, lambda: Float) = (0, 1000)

    /// An `InfoMaxAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        InfoMaxAutoencoder(config, rng: &rng)
    }

    /// −1000 ≤ α ≤ 1 (the KL's weight 1 − α stays ≥ 0), 0 ≤ λ ≤ 10⁶, the kernel as `checkMMDKernel`
    /// requires; β and free bits do not apply.
    public static func validate(_ c: ModelConfig) throws {
        let alpha = c.infoAlpha ?? defaults.alpha, lambda = c.infoLambda ?? defaults.lambda
        guard alpha >= -1000, alpha <= 1, alpha.isFinite else {
            throw LatentError(.model, field: "infoAlpha", "expected −1000 ≤ α ≤ 1, got \(alpha)")
        }
        guard lambda >= 0, lambda <= 1e6, lambda.isFinite else {
            throw LatentError(.model, field: "infoLambda", "expected 0 ≤ λ ≤ 1000000, got \(lambda)")
        }
        try c.checkMMDKernel()
        guard c.beta == 1 else {
            throw LatentError(.model, field: "beta", "an infovae weighs its KL by 1 − α (`infoAlpha`)")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// Threads share the batch's codes; processes do not.
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        c.mmdUnsplittableReason(processes: processes)
    }
}

extension ModelConfig {
    /// InfoVAE's α (nil: `InfoVAE.defaults`).
    public var infoAlpha: Float? {
        get { setting("infoAlpha") }
        set { setSetting("infoAlpha", newValue) }
    }

    /// InfoVAE's λ (nil: `InfoVAE.defaults`).
    public var infoLambda: Float? {
        get { setting("infoLambda") }
        set { setSetting("infoLambda", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on reconstruction + (1 − α)·KL + n·(α + λ − 1)·MMD.
public final class InfoMaxAutoencoder: VariationalAutoencoder, BatchCoupledModel {
    /// α, λ and the kernel (read from the configuration once).
    public let alpha: Float, lambda: Float, kernel: MMDKernel

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        alpha = c.infoAlpha ?? InfoVAE.defaults.alpha
        lambda = c.infoLambda ?? InfoVAE.defaults.lambda
        kernel = c.mmdKernel ?? ModelConfig.defaultMMDKernel
        super.init(c, rng: &rng)
    }

    /// The objective: parts "reconstruction", "kl" (unweighted) and "mmd" (weighed by n·(α + λ − 1)); noise and
    /// prior draws from `rng`.
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        coupledTotal(batch, klWeight: klWeight, rng: &rng)
    }

    /// The training objective with given noise, the MMD's prior draws from the evaluation seed 0 (for callers that
    /// pass noise: `loss(_:klWeight:rng:)` is the objective).
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        var rng = RandomGenerator(seed: 0)
        return completed(
            localLoss(batch, noise: noise, klWeight: klWeight), batch: batch, klWeight: klWeight, rng: &rng)
    }

    /// Draws the noise and prior samples `loss` would.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        super.skipNoise(rows: rows, rng: &rng)
        rng.fillNormal(Tensor(uninitialized: [rows, config.latent]))
    }

    /// Reconstruction + (1 − α)·KL of `share` (a KL warm-up scales the KL), and its codes.
    public func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (
        local: LossTerms, values: [Variable]
    ) {
        localLoss(share, noise: noise(rows: share.count, rng: &rng), klWeight: klWeight)
    }

    func localLoss(_ share: Batch, noise: Tensor, klWeight: Float?) -> (local: LossTerms, values: [Variable]) {
        let (mu, logVar, z, recon) = forward(share, noise: noise)
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let total = recon + kl * ((1 - alpha) * (klWeight ?? 1))
        return (
            LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)]), [z]
        )
    }

    /// n·(α + λ − 1)·MMD between the batch's codes and n draws from N(0, I).
    public func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms {
        let prior = Tensor(uninitialized: values[0].shape)
        rng.fillNormal(prior)
        let weight = (alpha + lambda - 1) * Float(batch.count)
        let mmd = Variable.maximumMeanDiscrepancy(values[0], prior: prior, kernel: kernel) * weight
        return LossTerms(total: mmd, parts: [("mmd", mmd.value.scalar)])
    }
}
