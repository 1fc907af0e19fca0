import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// A `VariationalAutoencoder` whose prior is an equal-weight mixture of C diagonal Gaussians that a subclass
/// supplies (`priorComponents`): the VampPrior's encoded pseudo-inputs, or learned means and variances. Trains on
/// the one-draw estimate of the KL, log q(z|x) − log p(z); importance sampling and `sample` use the mixture.
public class MixturePriorAutoencoder: VariationalAutoencoder {
    /// The prior's component means and log-variances [C, latent] (a subclass's).
    public func priorComponents() -> (mean: Variable, logVariance: Variable) {
        preconditionFailure("MixturePriorAutoencoder.priorComponents: a subclass supplies the components")
    }

    /// Reconstruction + weight·(log q(z|x) − log p(z)) with one draw z per image ([n, latent] noise), log p the
    /// mixture's; "kl" reports the estimate.
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let weight = klWeight ?? config.beta
        let (_, logVar, z, recon) = forward(batch, noise: noise)
        let logQ = sampledLogPosterior(logVariance: logVar, noise: noise)
        let (priorMean, priorLogVar) = priorComponents()
        let logP = Variable.logMixtureDensity(z, means: priorMean, logVariances: priorLogVar)
        let kl = logQ - logP
        let total = weight == 1 ? recon + kl : recon + kl * weight
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// log p(z) − log N(z; 0, I) for each row of `z`, so that importance sampling weighs by the mixture.
    public override func priorLogDensityRatio(_ z: Tensor, rng: inout RandomGenerator) -> [Double]? {
        let (m, v) = priorComponents()
        let (_, values) = MixtureParts(means: m.value, logVariances: v.value).responsibilities(z)
        let d = z.shape[1]
        return values.enumerated().map { r, value in
            var s = 0.0
            for j in 0..<d { s += Double(z.data[r * d + j] * z.data[r * d + j]) }
            return value + 0.5 * s
        }
    }

    /// Images decoded from the prior: for each, a component drawn uniformly, then z from it.
    public override func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let (m, v) = priorComponents()
        let c = m.shape[0], d = config.latent
        let z = Tensor(uninitialized: [labels.count, d])
        for r in 0..<labels.count {
            let k = rng.below(c)
            for j in 0..<d {
                let i = k * d + j
                z.data[r * d + j] = m.value.data[i] + Foundation.exp(0.5 * v.value.data[i]) * rng.normal()
            }
        }
        return decode(z, labels: labels)
    }

    /// The KL is the mixture prior's estimate, not the analytic Gaussian one.
    public override var hasAnalyticKL: Bool { false }
}
