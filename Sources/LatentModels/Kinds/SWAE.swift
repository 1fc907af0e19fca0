import LatentAutodiff
import LatentTensor

/// The sliced-Wasserstein autoencoder (Kolouri et al. 2019; PyTorch-VAE's `SWAE`, whose loss scales its terms
/// otherwise: Latent follows the paper): a deterministic encoder, the decoder's likelihood, and λ times the sliced
/// Wasserstein distance SW_p^p between the batch's codes and as many N(0, I) draws along L random directions
/// (`Variable.slicedWasserstein`), per example. It samples by decoding N(0, I) draws.
public enum SWAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior; the distance pairs the batch's codes (`BatchCoupledModel`).
    public static let capabilities: ModelCapabilities = [.reconstruct, .sample]
    /// Its distance, under "slicedWasserstein".
    public static let settingKeys = ["slicedWasserstein"]

    /// A `SlicedWassersteinAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        SlicedWassersteinAutoencoder(config, rng: &rng)
    }

    /// 0 ≤ λ ≤ 10⁶, 1 ≤ L ≤ 10 000 directions, 1 ≤ p ≤ 10.
    public static func validate(_ c: ModelConfig) throws {
        let s = c.slicedWasserstein ?? SlicedWasserstein()
        guard s.weight >= 0, s.weight <= 1e6, s.weight.isFinite else {
            throw LatentError(.model, field: "swWeight", "expected 0 ≤ λ ≤ 1000000, got \(s.weight)")
        }
        guard (1...10_000).contains(s.projections) else {
            throw LatentError(.model, field: "swProjections", "expected 1…10000 directions, got \(s.projections)")
        }
        guard s.power >= 1, s.power <= 10, s.power.isFinite else {
            throw LatentError(.model, field: "swPower", "expected 1 ≤ p ≤ 10, got \(s.power)")
        }
    }

    /// Threads share the batch's codes; processes do not.
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        processes ? "the swae's distance pairs every code of the batch; train it in one process" : nil
    }
}

/// The SWAE's distance: its weight, directions and power.
public struct SlicedWasserstein: Codable, Equatable, Sendable {
    /// λ.
    public var weight: Float = 10
    /// L, random unit directions drawn each step.
    public var projections = 50
    /// p of SW_p^p.
    public var power: Float = 2

    /// A distance of weight λ, L directions and power p.
    public init(weight: Float = 10, projections: Int = 50, power: Float = 2) {
        (self.weight, self.projections, self.power) = (weight, projections, power)
    }
}

extension ModelConfig {
    /// The SWAE's distance (nil: `SlicedWasserstein()`).
    public var slicedWasserstein: SlicedWasserstein? {
        get { setting("slicedWasserstein") }
        set { setSetting("slicedWasserstein", newValue) }
    }
}

/// An `Autoencoder` trained on its likelihood + n·λ·SW_p^p(codes, N(0, I) draws), sampled from N(0, I).
public final class SlicedWassersteinAutoencoder: Autoencoder, BatchCoupledModel, GenerativeModel {
    /// The distance's settings (read from the configuration once).
    public let distance: SlicedWasserstein

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        distance = c.slicedWasserstein ?? SlicedWasserstein()
        super.init(c, lastActivation: nil, rng: &rng)
    }

    /// The objective: parts "reconstruction" and "sliced_wasserstein" (n·λ·SW); draws from `rng`.
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        coupledTotal(batch, klWeight: klWeight, rng: &rng)
    }

    /// Draws the prior samples and directions `loss` would.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) {
        rng.fillNormal(Tensor(uninitialized: [rows, config.latent]))
        rng.fillNormal(Tensor(uninitialized: [distance.projections, config.latent]))
    }

    /// The likelihood of `share`'s reconstructions, and its codes.
    public func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (
        local: LossTerms, values: [Variable]
    ) {
        let z = codeLayer(body(Variable(share.x)))
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: decoder(z), targets: share.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        return (LossTerms(total: recon, parts: [("reconstruction", recon.value.scalar)]), [z])
    }

    /// n·λ·SW_p^p between the batch's codes and n draws from N(0, I), along L directions drawn uniformly on the
    /// sphere (normalised Gaussian draws).
    public func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms {
        let prior = Tensor(uninitialized: values[0].shape)
        rng.fillNormal(prior)
        let d = config.latent, directions = Tensor(uninitialized: [distance.projections, d])
        rng.fillNormal(directions)
        for k in 0..<distance.projections {
            let row = directions.data + k * d
            var norm: Float = 0
            for j in 0..<d { norm += row[j] * row[j] }
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<d { row[j] *= inverse }
        }
        let sw = Variable.slicedWasserstein(values[0], prior: prior, directions: directions, power: distance.power)
        let weighted = sw * (distance.weight * Float(batch.count))
        return LossTerms(total: weighted, parts: [("sliced_wasserstein", weighted.value.scalar)])
    }

    /// Images decoded from z ~ N(0, I).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        decodeStandardNormal(labels: labels, rng: &rng)
    }
}
