import Foundation
import LatentData
import LatentModels
import LatentTensor

/// Anomaly scores: how badly a trained autoencoder explains each example. Trained on normal data only, it
/// reconstructs anomalies worse, so a high score flags them.
public enum AnomalyScores {
    public enum Kind: String, CaseIterable, Sendable {
        /// Reconstruction NLL of decode(encode(x)): Bernoulli cross-entropy, or squared error for Gaussian models.
        case recon
        /// VAE: reconstruction NLL at the posterior mean plus KL(q(z|x) ‖ N(0, I)), a deterministic −ELBO.
        case elbo
    }

    /// One score per example of `data`, in order (give a model trained with dynamic binarisation the
    /// binarised test set, as `Dataset.binarized(seed: ModelConfig.testBinarizationSeed)` makes it).
    public static func scores(_ model: any ReconstructingModel, on data: Dataset, kind: Kind) throws -> [Double] {
        let vae = model as? VariationalAutoencoder
        if kind == .elbo && vae == nil { throw ModelError("--score elbo needs a vae or cvae; this model is \(model.config.kind.rawValue) (use --score recon)") }
        var out = [Double](repeating: 0, count: data.count)
        let gaussian = model.config.likelihood == .gaussian
        Evaluation.forEachBatch(data) { batch, range in
            let means = model.reconstruct(batch.x, labels: batch.labels)
            let f = batch.x.shape[1]
            var kl = [Double](repeating: 0, count: range.count)
            if kind == .elbo, let vae {
                let (mu, lv) = vae.encodeDistribution(batch.x, labels: batch.labels)
                for r in 0..<range.count {
                    var s = 0.0
                    for j in 0..<mu.shape[1] {
                        let m = Double(mu[r, j]), v = Double(lv[r, j])
                        s += 0.5 * (m * m + exp(v) - 1 - v)
                    }
                    kl[r] = s
                }
            }
            for r in 0..<range.count {
                let x = batch.x.data + r * f, p = means.data + r * f
                var s = 0.0
                if gaussian {
                    for j in 0..<f { let e = Double(x[j] - p[j]); s += e * e }
                } else {
                    for j in 0..<f {
                        let q = min(max(Double(p[j]), 1e-7), 1 - 1e-7), t = Double(x[j])
                        s -= t * log(q) + (1 - t) * log(1 - q)
                    }
                }
                out[range.lowerBound + r] = s + kl[r]
            }
        }
        return out
    }
}
