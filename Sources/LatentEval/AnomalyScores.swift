import Foundation
import LatentData
import LatentModels
import LatentTensor

/// Anomaly scores: how badly a trained autoencoder explains each example. Trained on normal data only, it
/// reconstructs anomalies worse, so a high score flags them.
public enum AnomalyScores {
    /// What is scored.
    public enum Kind: String, CaseIterable, Sendable {
        /// Reconstruction NLL of x at its code: the training loss's Bernoulli cross-entropy with logits, or the
        /// squared error for Gaussian models.
        case recon
        /// VAE: reconstruction NLL at the posterior mean plus KL(q(z|x) ‖ N(0, I)), a deterministic −ELBO.
        case elbo
    }

    /// One score per example of `data`, in order (give a model trained with dynamic binarisation the
    /// binarised test set, as `Dataset.binarized(seed: ModelConfig.testBinarizationSeed)` makes it).
    public static func scores(_ model: any ReconstructingModel, on data: Dataset, kind: Kind) throws -> [Double] {
        let vae = model as? VariationalAutoencoder
        if kind == .elbo && vae == nil {
            throw LatentError(
                .evaluation, field: "score",
                "elbo needs a vae or cvae; this model is \(model.config.kind.rawValue) (score recon)")
        }
        if kind == .elbo, let vae, !vae.hasAnalyticKL {
            throw LatentError(
                .evaluation, field: "score",
                "elbo's analytic KL needs a Gaussian posterior and the N(0, I) prior, which this "
                    + "\(model.config.kind.rawValue) does not have (score recon)")
        }
        var out = [Double](repeating: 0, count: data.count)
        let gaussian = model.config.likelihood == .gaussian, identity = model.config.hasIdentityMean
        let f = data.featureCount
        let scratch = Tensor(uninitialized: [max(f, model.config.latent)])
        Evaluation.forEachBatch(data) { batch, range in
            let logits = model.reconstructionLogits(batch.x, labels: batch.labels)
            let means = gaussian ? ReconstructionLoss.mean(logits: logits, identityMean: identity) : logits
            let posterior = kind == .elbo ? vae?.encodeDistribution(batch.x, labels: batch.labels) : nil
            for r in 0..<range.count {
                let x = batch.x.data + r * f, y = means.data + r * f
                var s: Double
                if gaussian {
                    s = 0
                    for j in 0..<f { s += Double(x[j] - y[j]) * Double(x[j] - y[j]) }
                } else {
                    s = VectorMath.binaryCrossEntropyWithLogits(y, targets: x, gradient: nil, f)
                }
                if let (mu, lv) = posterior {
                    let d = mu.shape[1]
                    s += Gaussian.klToStandardNormal(
                        mean: mu.data + r * d, logVariance: lv.data + r * d,
                        variance: scratch.data, d)
                }
                out[range.lowerBound + r] = s
            }
        }
        return out
    }
}
