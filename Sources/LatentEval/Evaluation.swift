import Foundation
import LatentData
import LatentModels
import LatentTensor

/// Test-set metrics for every kind of model, computed in batches without building a graph.
public enum Evaluation {
    /// The objective on a dataset, per example.
    public struct Result: Sendable {
        /// Mean training objective per example.
        public let loss: Double
        /// Mean of each named part per example.
        public let terms: [String: Double]
        /// Number of examples evaluated.
        public let examples: Int
    }

    /// The objective per example. Sampling noise (and a DAE's corruption) comes from `seed`'s evaluation
    /// stream, so the same model and seed always give the same figure. A VAE is evaluated at its full β.
    public static func evaluate(
        _ model: any TrainableModel, on data: Dataset, batchSize: Int? = nil,
        seed: UInt64
    ) -> Result {
        var rng = RandomGenerator(seed: seed, stream: .evaluation)
        var total = 0.0
        var terms: [String: Double] = [:]
        forEachBatch(data, batchSize: batchSize ?? data.evaluationBatchSize) { batch, _ in
            let l = model.loss(batch, rng: &rng)
            total += Double(l.total.value.scalar)
            for (name, v) in l.parts { terms[name, default: 0] += Double(v) }
        }
        let count = Double(max(data.count, 1))
        return Result(loss: total / count, terms: terms.mapValues { $0 / count }, examples: data.count)
    }

    /// Runs `body` over the dataset in order, in batches (the last may be smaller), with the rows each holds.
    public static func forEachBatch(_ data: Dataset, batchSize: Int? = nil, _ body: (Batch, Range<Int>) -> Void) {
        var start = 0
        for batch in data.batches(size: batchSize ?? data.evaluationBatchSize) {
            body(batch, start..<(start + batch.count))
            start += batch.count
        }
    }

    /// Squared error summed over features, for each row of two [n, features] tensors.
    public static func squaredErrors(_ a: Tensor, _ b: Tensor) -> [Double] {
        let f = a.count / a.shape[0]
        return (0..<a.shape[0]).map { r in
            var s = 0.0
            for j in 0..<f {
                let d = Double(a.data[r * f + j] - b.data[r * f + j])
                s += d * d
            }
            return s
        }
    }

    /// PSNR in dB of an image with pixel range 1 given its summed squared error over `features` pixels.
    public static func psnr(squaredError: Double, features: Int) -> Double {
        10 * log10(1 / max(squaredError / Double(features), 1e-10))
    }

    /// Every metric that applies to the model's kind, as one flat dictionary (`latent eval --json`):
    /// test_loss and its parts; test_mse for models that reconstruct (squared error summed over pixels,
    /// averaged over images); elbo, test_kl and active_dims for VAEs; psnr_noisy/psnr_denoised for DAEs;
    /// mean_activation for SAEs; accuracy for the classifier.
    public static func metrics(_ model: any TrainableModel, on data: Dataset, seed: UInt64) -> [String: Double] {
        let base = evaluate(model, on: data, seed: seed)
        var m: [String: Double] = ["test_loss": base.loss, "images": Double(base.examples)]
        for (k, v) in base.terms { m["test_\(k)"] = v }
        let n = Double(data.count)
        if let classifier = model as? Classifier {
            var correct = 0
            forEachBatch(data) { batch, _ in
                correct += zip(classifier.predict(batch.x), batch.labels).filter { $0 == $1 }.count
            }
            m["accuracy"] = Double(correct) / n
            return m
        }
        guard let rec = model as? any ReconstructingModel else { return m }
        var sse = 0.0
        forEachBatch(data) { batch, _ in
            sse += squaredErrors(rec.reconstruct(batch.x, labels: batch.labels), batch.x).reduce(0, +)
        }
        m["test_mse"] = sse / n
        if let vae = model as? VariationalAutoencoder {
            if vae.config.kind == .iwae {
                // The ELBO of the same networks (one sample, analytic KL), beside the k-sample bound.
                var rng = RandomGenerator(seed: seed, stream: .evaluation)
                var total = 0.0
                forEachBatch(data) { batch, _ in
                    let eps = Tensor(uninitialized: [batch.x.shape[0], vae.config.latent])
                    rng.fillNormal(eps)
                    total += Double(vae.elboTerms(batch, noise: eps).total.value.scalar)
                }
                m["elbo"] = -total / n
            } else {
                m["elbo"] = -((base.terms["reconstruction"] ?? 0) + (base.terms["kl"] ?? 0))
            }
            m["active_dims"] = Double(activeDimensions(vae, on: data))
        }
        if let ae = model as? Autoencoder {
            if let noise = ae.config.noise {
                let (noisy, denoised) = denoisingPSNR(ae, noise: noise, on: data, seed: seed)
                m["psnr_noisy"] = noisy
                m["psnr_denoised"] = denoised
            }
            if ae.config.sparsity != nil {
                var total = 0.0, count = 0
                forEachBatch(data) { batch, _ in
                    let h = ae.hiddenActivations(batch.x)
                    total += Double(h.sum())
                    count += h.count
                }
                m["mean_activation"] = total / Double(count)
            }
        }
        return m
    }

    /// Mean PSNR (dB) against the clean images of the corrupted inputs and of the model's reconstructions
    /// of them, over the whole dataset (corruption drawn from `seed`).
    public static func denoisingPSNR(
        _ model: any ReconstructingModel, noise: Corruption, on data: Dataset,
        seed: UInt64
    ) -> (noisy: Double, denoised: Double) {
        var rng = RandomGenerator(seed: seed, stream: .corruption)
        var noisy = 0.0, denoised = 0.0
        forEachBatch(data) { batch, _ in
            let corrupted = noise.apply(batch.x, rng: &rng)
            let restored = model.reconstruct(corrupted, labels: batch.labels)
            for e in squaredErrors(corrupted, batch.x) { noisy += psnr(squaredError: e, features: data.featureCount) }
            for e in squaredErrors(restored, batch.x) { denoised += psnr(squaredError: e, features: data.featureCount) }
        }
        return (noisy / Double(data.count), denoised / Double(data.count))
    }

    /// Latent dimensions whose posterior mean varies across the data (variance > 0.01): the "active units"
    /// of Burda et al. 2015.
    public static func activeDimensions(
        _ vae: VariationalAutoencoder, on data: Dataset, threshold: Double = 0.01
    ) -> Int {
        let d = vae.config.latent
        var sum = [Double](repeating: 0, count: d), sumSq = sum
        forEachBatch(data) { batch, _ in
            let mu = vae.encode(batch.x, labels: batch.labels)
            for r in 0..<mu.shape[0] {
                for j in 0..<d {
                    let v = Double(mu[r, j])
                    sum[j] += v
                    sumSq[j] += v * v
                }
            }
        }
        let n = Double(data.count)
        return (0..<d).filter { sumSq[$0] / n - (sum[$0] / n) * (sum[$0] / n) > threshold }.count
    }
}
