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
    /// With `shards`, this process evaluates batches index, index + count, … and the processes' per-batch
    /// figures are combined: the same numbers, to the bit, as one process evaluating every batch.
    public static func evaluate(
        _ model: any TrainableModel, on data: Dataset, batchSize: Int? = nil,
        seed: UInt64, shards: Shards? = nil
    ) -> Result {
        var rng = RandomGenerator(seed: seed, stream: .evaluation)
        let size = batchSize ?? data.evaluationBatchSize, batches = (data.count + size - 1) / size
        let shards = shards.flatMap { $0.count > 1 && batches >= $0.count ? $0 : nil }
        // Per batch: its total, then its parts in name order.
        var rows: [(total: Double, parts: [(String, Double)])] = Array(repeating: (0, []), count: batches)
        var b = 0
        forEachBatch(data, batchSize: size) { batch, _ in
            defer { b += 1 }
            if let shards, b % shards.count != shards.index { return model.skipNoise(rows: batch.count, rng: &rng) }
            let l = model.loss(batch, rng: &rng)
            rows[b] = (Double(l.total.value.scalar), l.parts.map { ($0.name, Double($0.value)) }.sorted { $0.0 < $1.0 })
        }
        if let shards { rows = shards.combine(rows) }
        var total = 0.0
        var terms: [String: Double] = [:]
        for row in rows {
            total += row.total
            for (name, v) in row.parts { terms[name, default: 0] += v }
        }
        let count = Double(max(data.count, 1))
        return Result(loss: total / count, terms: terms.mapValues { $0 / count }, examples: data.count)
    }

    /// An evaluation split over processes: this one's place and how to sum a buffer over all of them.
    public struct Shards {
        /// This process's index, 0..<count.
        public let index: Int
        /// The number of processes.
        public let count: Int
        /// Sums `values` element-wise over the processes, in place.
        public let sum: (UnsafeMutablePointer<Double>, Int) -> Void

        /// A split over `count` processes of which this is `index`.
        public init(index: Int, count: Int, sum: @escaping (UnsafeMutablePointer<Double>, Int) -> Void) {
            (self.index, self.count, self.sum) = (index, count, sum)
        }

        /// Every process's per-batch figures: each batch's come from the one process that evaluated it (the others
        /// add zeros, which leaves them exact). The parts' names are those of this process's batches.
        func combine(
            _ rows: [(total: Double, parts: [(String, Double)])]
        ) -> [(total: Double, parts: [(String, Double)])] {
            let names = rows[index].parts.map(\.0), width = 1 + names.count
            var flat = [Double](repeating: 0, count: rows.count * width)
            for (b, row) in rows.enumerated() where b % count == index {
                flat[b * width] = row.total
                for (j, part) in row.parts.enumerated() { flat[b * width + 1 + j] = part.1 }
            }
            flat.withUnsafeMutableBufferPointer { sum($0.baseAddress!, $0.count) }
            return rows.indices.map { b in
                (flat[b * width], names.enumerated().map { ($0.element, flat[b * width + 1 + $0.offset]) })
            }
        }
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
    public static func squaredErrors(_ a: Tensor, _ b: Tensor) -> [Double] { ReconstructionLoss.squaredErrors(a, b) }

    /// Every figure that applies to the model (`latent eval`): the test loss and its parts; the squared error of
    /// models that reconstruct (summed over pixels, averaged over images); the ELBO and active units of variational
    /// models; and the model's own figures (`MeasuredModel`: a DAE's PSNR, an SAE's mean activation, a classifier's
    /// accuracy, an IWAE's ELBO beside its bound).
    public static func metrics(_ model: any TrainableModel, on data: Dataset, seed: UInt64) -> ModelMetrics {
        let base = evaluate(model, on: data, seed: seed)
        var m = ModelMetrics(examples: base.examples, loss: base.loss, lossTerms: base.terms, own: [:])
        if let rec = model as? any ReconstructingModel {
            var sse = 0.0
            forEachBatch(data) { batch, _ in
                sse += squaredErrors(rec.reconstruct(batch.x, labels: batch.labels), batch.x).reduce(0, +)
            }
            m.meanSquaredError = sse / Double(data.count)
        }
        if let vae = model as? VariationalAutoencoder {
            // The ELBO from the loss's own parts where it is the ELBO (a model with another bound reports its own).
            if let reconstruction = base.terms["reconstruction"], let kl = base.terms["kl"] {
                m.elbo = -(reconstruction + kl)
            }
            m.activeDimensions = activeDimensions(vae, on: data)
        }
        if let measured = model as? any MeasuredModel {
            let own = measured.ownMetrics(
                forEachBatch: { body in forEachBatch(data) { batch, _ in body(batch) } }, count: data.count,
                features: data.featureCount, seed: seed)
            for (key, value) in own { m.own[key] = value }
        }
        return m
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
