import LatentAutodiff
import LatentTensor

/// The β-TCVAE (Chen et al. 2018, "Isolating sources of disentanglement in VAEs"; Pythae's `BetaTCVAE`): the
/// VAE's networks, with the KL term split into index-code mutual information, total correlation and
/// dimension-wise KL (`Variable.decomposedKL`), weighed α, β, γ. q(z) is estimated from the batch by
/// minibatch-stratified sampling (Pythae's default) or minibatch-weighted sampling, with the size of the set the
/// batch was drawn from (`Batch.datasetSize`), as Pythae's trainer passes it.
public enum BetaTCVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior; its estimate of q(z) pairs every code of the batch, which
    /// data-parallel workers share (`BatchCoupledModel`).
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// Its weights and estimator, under "totalCorrelation".
    public static let settingKeys = ["totalCorrelation"]

    /// A `BetaTCAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        BetaTCAutoencoder(config, rng: &rng)
    }

    /// Weights in [0, 1000]; β (the VAE's) and free bits do not apply: the weights are the kind's own.
    public static func validate(_ c: ModelConfig) throws {
        let t = c.totalCorrelation ?? TotalCorrelation()
        for (name, value) in [("tcAlpha", t.alpha), ("tcWeight", t.beta), ("tcGamma", t.gamma)] {
            guard value >= 0, value <= 1000, value.isFinite else {
                throw LatentError(.model, field: name, "expected a weight in [0, 1000], got \(value)")
            }
        }
        guard c.beta == 1 else {
            throw LatentError(.model, field: "beta", "a betatcvae weighs its KL's parts with its own α, β, γ")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// Threads share the batch's codes; processes do not (each would estimate q(z) from its own rows).
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        processes ? "the betatcvae's estimate of q(z) pairs every code of the batch; train it in one process" : nil
    }
}

/// The β-TCVAE's weights of the KL's parts and its estimator of q(z).
public struct TotalCorrelation: Codable, Equatable, Sendable {
    /// Weight of the index-code mutual information.
    public var alpha: Float = 1
    /// Weight of the total correlation (the paper's β; 6 in its dSprites runs).
    public var beta: Float = 6
    /// Weight of the dimension-wise KL.
    public var gamma: Float = 1
    /// Minibatch-stratified sampling (true, Pythae's default) or minibatch-weighted sampling.
    public var stratified = true

    /// Weights α, β, γ and an estimator.
    public init(alpha: Float = 1, beta: Float = 6, gamma: Float = 1, stratified: Bool = true) {
        (self.alpha, self.beta, self.gamma, self.stratified) = (alpha, beta, gamma, stratified)
    }
}

extension ModelConfig {
    /// The β-TCVAE's weights and estimator (nil: `TotalCorrelation()`).
    public var totalCorrelation: TotalCorrelation? {
        get { setting("totalCorrelation") }
        set { setSetting("totalCorrelation", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on reconstruction + α·MI + β·TC + γ·dimension-wise KL; the KL's parts
/// couple the batch's rows through their codes and posteriors, the reconstruction does not.
public final class BetaTCAutoencoder: VariationalAutoencoder, BatchCoupledModel {
    /// Weights and estimator (read from the configuration once).
    public let weights: TotalCorrelation

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        weights = c.totalCorrelation ?? TotalCorrelation()
        super.init(c, rng: &rng)
    }

    /// The objective with given standard-normal noise [n, latent]; a KL warm-up (`klWeight` below β = 1) scales
    /// α, β and γ alike. Parts: "reconstruction", "mutual_information", "total_correlation", "dimensionwise_kl".
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        var unused = RandomGenerator(seed: 0)  // the estimate draws nothing
        return completed(localLoss(batch, noise: noise), batch: batch, klWeight: klWeight, rng: &unused)
    }

    /// The reconstruction term of `share`, and its codes z, posterior means and log-variances.
    public func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (
        local: LossTerms, values: [Variable]
    ) {
        localLoss(share, noise: noise(rows: share.count, rng: &rng))
    }

    func localLoss(_ share: Batch, noise: Tensor) -> (local: LossTerms, values: [Variable]) {
        let (mu, logVar, z, recon) = forward(share, noise: noise)
        return (LossTerms(total: recon, parts: [("reconstruction", recon.value.scalar)]), [z, mu, logVar])
    }

    /// α·MI + β·TC + γ·dimension-wise KL of the whole batch's codes z, means and log-variances.
    public func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms {
        let ramp = klWeight ?? 1
        let (kl, parts) = Variable.decomposedKL(
            z: values[0], mean: values[1], logVariance: values[2], datasetSize: batch.datasetSize,
            stratified: weights.stratified, weights: (weights.alpha * ramp, weights.beta * ramp, weights.gamma * ramp),
            threads: threads)
        return LossTerms(
            total: kl,
            parts: [
                ("mutual_information", Float(parts.mutualInformation)),
                ("total_correlation", Float(parts.totalCorrelation)),
                ("dimensionwise_kl", Float(parts.dimensionwiseKL)),
            ])
    }
}
