import LatentAutodiff
import LatentModels
import LatentNN
import LatentTensor

/// Data-parallel training on one machine: each batch is split across replicas of the model that share its
/// parameter values, each replica differentiates its share on its own thread (with single-threaded BLAS),
/// and the gradients are summed into the primary's. On small machines this beats threading inside each
/// BLAS call, because the elementwise work between products is split as well.
public final class DataParallel {
    /// The model trained.
    public let model: any TrainableModel
    /// The flat parameters and gradients.
    public let parameters: ParameterSet
    private let replicas: [(model: any TrainableModel, parameters: ParameterSet)]

    /// `workers` ≥ 2 threads; the model must already be packed into `parameters`.
    public init(_ model: any TrainableModel, parameters: ParameterSet, workers: Int) {
        precondition(workers >= 2, "DataParallel needs at least 2 workers")
        self.model = model
        self.parameters = parameters
        replicas = (1..<workers).map { _ in
            let (replica, set) = model.replica(sharingValuesOf: parameters)
            return (replica, set)
        }
        // BatchNorm layers at the same place in every replica share the whole batch's statistics.
        let layers = [model.layers(of: BatchNorm.self)] + replicas.map { $0.model.layers(of: BatchNorm.self) }
        syncGroups = layers[0].indices.map { i in
            let primary = layers[0][i]
            let group = BatchNormSync(
                workers: workers, channels: primary.weight.value.count, runningMean: primary.runningMean.value,
                runningVariance: primary.runningVariance.value)
            for (w, replica) in layers.enumerated() { replica[i].sync = (group, w) }
            return group
        }
    }

    /// One group per BatchNorm layer.
    private(set) var syncGroups: [BatchNormSync] = []

    /// Threads: the primary and its replicas.
    public var workers: Int { replicas.count + 1 }

    /// The replicas' gradient buffers, for an optimiser that sums them itself (`Adam.additionalGradients`).
    public var replicaGradients: [Tensor] { replicas.map(\.parameters.grads) }

    /// Zeroes all gradients, runs forward and backward on each worker's share of `batch`, and (if `reduce`)
    /// leaves the summed gradient in `parameters.grads`; otherwise the sum is `parameters.grads` plus
    /// `replicaGradients`. Each share's noise comes from its own generator seeded from
    /// `rng`, so results depend on the seed and the worker count, not on thread timing. Returns the summed
    /// loss and parts.
    public func lossAndGradients(
        _ batch: Batch, klWeight: Float? = nil, rng: inout RandomGenerator,
        reduce: Bool = true
    ) -> (total: Float, parts: [(name: String, value: Float)]) {
        let n = batch.x.shape[0], k = workers
        let seeds = (0..<k).map { _ in rng.next() }
        let bounds = (0...k).map { $0 * n / k }
        var results = [(Float, [(name: String, value: Float)])](repeating: (0, []), count: k)
        for group in syncGroups { group.begin { bounds[$0] < bounds[$0 + 1] } }
        defer { for group in syncGroups { group.end() } }
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(k) { w in
                let (m, p) = w == 0 ? (model, parameters) : replicas[w - 1]
                p.zeroGrad()
                let range = bounds[w]..<bounds[w + 1]
                guard !range.isEmpty else { return }
                var r = RandomGenerator(seed: seeds[w])
                let labels = batch.labels.isEmpty ? [] : Array(batch.labels[range])
                let l = m.loss(Batch(x: batch.x.rows(range), labels: labels), klWeight: klWeight, rng: &r)
                l.total.backward()
                out[w] = (l.total.value.scalar, l.parts)
            }
        }
        if reduce { reduceGradients() }
        var parts = results[0].1
        for r in results.dropFirst() {
            for (i, p) in r.1.enumerated() where i < parts.count { parts[i].value += p.value }
        }
        return (results.map(\.0).reduce(0, +), parts)
    }

    /// Sums the replicas' gradients into the primary's, each worker adding one slice.
    public func reduceGradients() {
        let k = workers
        let total = parameters.count, g = parameters.grads.data
        let others = replicas.map { $0.parameters.grads.data }
        Parallel.forEach(k) { w in
            let lo = w * total / k, hi = (w + 1) * total / k
            for o in others { for i in lo..<hi { g[i] += o[i] } }
        }
    }
}
