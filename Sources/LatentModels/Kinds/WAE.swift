import LatentAutodiff
import LatentTensor

/// The Wasserstein autoencoder with the MMD penalty (Tolstikhin et al. 2018; Pythae's `WAE_MMD`): a deterministic
/// encoder, the squared error of the decoder's mean Σ (x̂ − x)², and λ times the maximum mean discrepancy between
/// the batch's codes and as many draws from N(0, I) (`Variable.maximumMeanDiscrepancy`). It samples as a VAE does,
/// decoding codes drawn from N(0, I).
public enum WAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior; the MMD pairs the batch's codes, which data-parallel workers
    /// share (`BatchCoupledModel`).
    public static let capabilities: ModelCapabilities = [.reconstruct, .sample]
    /// λ under "mmdWeight", the kernel under "mmdKernel".
    public static let settingKeys = ["mmdWeight", "mmdKernel"]
    /// Pythae's λ.
    public static let defaultWeight: Float = 3e-2

    /// A `WassersteinAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        WassersteinAutoencoder(config, rng: &rng)
    }

    /// 0 ≤ λ ≤ 10⁶, a kernel bandwidth in (0, 1000]; the decoder's mean is the sigmoid of its logits.
    public static func validate(_ c: ModelConfig) throws {
        let weight = c.mmdWeight ?? defaultWeight
        guard weight >= 0, weight <= 1e6, weight.isFinite else {
            throw LatentError(.model, field: "mmdWeight", "expected 0 ≤ λ ≤ 1000000, got \(weight)")
        }
        try c.checkMMDKernel()
        guard c.likelihood == .bernoulli else {
            throw LatentError(
                .model, field: "likelihood",
                "a wae's reconstruction term is its own (the squared error of the sigmoid mean): keep bernoulli")
        }
    }

    /// Threads share the batch's codes; processes do not.
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        c.mmdUnsplittableReason(processes: processes)
    }
}

extension ModelConfig {
    /// The WAE's weight λ of the MMD (nil: `WAE.defaultWeight`).
    public var mmdWeight: Float? {
        get { setting("mmdWeight") }
        set { setSetting("mmdWeight", newValue) }
    }

}

/// An `Autoencoder` trained on Σ (sigmoid(logits) − x)² + n·λ·MMD(codes, N(0, I) draws), sampled from N(0, I).
public final class WassersteinAutoencoder: Autoencoder, BatchCoupledModel, GenerativeModel {
    /// λ and the kernel (read from the configuration once).
    public let weight: Float, kernel: MMDKernel

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        (weight, kernel) = (c.mmdWeight ?? WAE.defaultWeight, c.mmdKernel ?? ModelConfig.defaultMMDKernel)
        super.init(c, lastActivation: nil, rng: &rng)
    }

    /// The objective on `batch`: parts "reconstruction" (the squared error) and "mmd" (λ·n·MMD); the prior draws
    /// come from `rng`.
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        coupledTotal(batch, klWeight: klWeight, rng: &rng)
    }

    /// Draws the prior samples `loss` would.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        rng.fillNormal(Tensor(uninitialized: [rows, config.latent]))
    }

    /// The squared error of `share`'s reconstructions, and its codes.
    public func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (
        local: LossTerms, values: [Variable]
    ) {
        let z = codeLayer(body(Variable(share.x)))
        let error = Variable.sigmoidSquaredError(logits: decoder(z), targets: share.x)
        return (LossTerms(total: error, parts: [("reconstruction", error.value.scalar)]), [z])
    }

    /// n·λ·MMD between the batch's codes and n draws from N(0, I) (Pythae's mean loss, summed over the batch).
    public func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms {
        let prior = Tensor(uninitialized: values[0].shape)
        rng.fillNormal(prior)
        let mmd =
            Variable.maximumMeanDiscrepancy(values[0], prior: prior, kernel: kernel) * (weight * Float(batch.count))
        return LossTerms(total: mmd, parts: [("mmd", mmd.value.scalar)])
    }

    /// Images decoded from z ~ N(0, I).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        decodeStandardNormal(labels: labels, rng: &rng)
    }
}
