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
        syncGroups = BatchNormSync.groups(layers) { w, i, group in layers[w][i].sync = (group, w) }
        seeds = .allocate(capacity: workers)
    }

    deinit { seeds.deallocate() }

    /// One group per BatchNorm layer.
    private(set) var syncGroups: [BatchNormSync] = []
    /// The workers' noise seeds, reused every step.
    private let seeds: UnsafeMutableBufferPointer<UInt64>

    /// Threads: the primary and its replicas.
    public var workers: Int { replicas.count + 1 }

    /// The replicas' gradient buffers, whose sum with the primary's is the gradient.
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
        WorkerShares.drawSeeds(seeds, from: &rng)
        var results = [(Float, [(name: String, value: Float)])](repeating: (0, []), count: k)
        for group in syncGroups { group.begin { WorkerShares.hasRows($0, of: k, in: n) } }
        defer { for group in syncGroups { group.end() } }
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(k) { w in
                let (m, p) = w == 0 ? (model, parameters) : replicas[w - 1]
                p.zeroGrad()
                guard WorkerShares.hasRows(w, of: k, in: n) else { return }
                var r = RandomGenerator(seed: seeds[w])
                let l = m.loss(WorkerShares.share(w, of: k, in: batch), klWeight: klWeight, rng: &r)
                l.total.backward()
                out[w] = (l.total.value.scalar, l.parts)
            }
        }
        if reduce { gradientSum.reduce(threads: k) }
        var parts = results[0].1
        for r in results.dropFirst() {
            for (i, p) in r.1.enumerated() where i < parts.count { parts[i].value += p.value }
        }
        return (results.map(\.0).reduce(0, +), parts)
    }

    /// The gradient: the primary's buffer plus the replicas' (`GradientSum`).
    public private(set) lazy var gradientSum = GradientSum(parameters.grads, others: replicaGradients)
}
