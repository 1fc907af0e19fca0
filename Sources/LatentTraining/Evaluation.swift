import LatentData
import LatentModels
import LatentTensor

/// Mean objective per example over a dataset, without building a graph.
public enum Evaluation {
    public struct Result: Sendable {
        /// Mean total loss per example.
        public let loss: Double
        /// Mean of each named part per example.
        public let terms: [String: Double]
        public let examples: Int
    }

    /// Evaluates in order in batches; the sampling noise comes from `seed`'s evaluation stream, so the
    /// same model and seed always give the same figure.
    public static func evaluate(_ model: some AutoencoderModel, on data: ImageDataset, batchSize: Int = 500,
                                seed: UInt64) -> Result {
        var rng = RandomGenerator(seed: seed, stream: RandomStream.evaluation.rawValue)
        var total = 0.0
        var terms: [String: Double] = [:]
        let buffer = Tensor(uninitialized: [batchSize, data.featureCount])
        var start = 0
        while start < data.count {
            let n = min(batchSize, data.count - start)
            let x = n == batchSize ? buffer : buffer.rows(0..<n)
            data.fill(x, indices: ArraySlice(start..<(start + n)))
            let l = model.loss(x, rng: &rng)
            total += Double(l.total.value.scalar)
            for (name, v) in l.parts { terms[name, default: 0] += Double(v) }
            start += n
        }
        let count = Double(max(data.count, 1))
        return Result(loss: total / count, terms: terms.mapValues { $0 / count }, examples: data.count)
    }
}
