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
        if let primary = model as? any BatchCoupledModel {
            coupled = [primary] + replicas.compactMap { $0.model as? any BatchCoupledModel }
        } else {
            coupled = nil
        }
    }

    deinit { seeds.deallocate() }

    /// One group per BatchNorm layer.
    private(set) var syncGroups: [BatchNormSync] = []
    /// The workers' noise seeds, reused every step.
    private let seeds: UnsafeMutableBufferPointer<UInt64>
    /// The primary and its replicas, where the loss couples the batch's rows (looked up once).
    private let coupled: [any BatchCoupledModel]?

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
        if let coupled {
            return coupledLossAndGradients(coupled, batch, klWeight: klWeight, rng: &rng, reduce: reduce)
        }
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

    /// A batch-coupled loss in three phases: each worker's local part and per-row values on its share; the
    /// coupled part on the whole batch's values, differentiated on the calling thread; each worker's backward pass
    /// with its rows of the values' gradient (`Variable.innerProduct`). The seeds are drawn; the coupled part draws
    /// from `rng` after them.
    private func coupledLossAndGradients(
        _ models: [any BatchCoupledModel], _ batch: Batch, klWeight: Float?, rng: inout RandomGenerator, reduce: Bool
    ) -> (total: Float, parts: [(name: String, value: Float)]) {
        let n = batch.x.shape[0], k = workers
        var locals = [(local: LossTerms, values: [Variable])?](repeating: nil, count: k)
        for group in syncGroups { group.begin { WorkerShares.hasRows($0, of: k, in: n) } }
        defer { for group in syncGroups { group.end() } }
        locals.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(k) { w in
                (w == 0 ? parameters : replicas[w - 1].parameters).zeroGrad()
                guard WorkerShares.hasRows(w, of: k, in: n) else { return }
                var r = RandomGenerator(seed: seeds[w])
                out[w] = models[w].localLoss(WorkerShares.share(w, of: k, in: batch), klWeight: klWeight, rng: &r)
            }
        }
        let present = locals.compactMap { $0 }
        let leaves = present[0].values.indices.map { v in
            let width = present[0].values[v].shape[1]
            let whole = Tensor(uninitialized: [n, width])
            var row = 0
            for l in present {
                let part = l.values[v].value
                (whole.data + row * width).update(from: part.data, count: part.count)
                row += part.shape[0]
            }
            return Variable(whole, requiresGrad: true)
        }
        let coupledTerms = models[0].coupledLoss(leaves, batch: batch, klWeight: klWeight, rng: &rng, threads: k)
        coupledTerms.total.backward()
        Parallel.forEach(k) { w in
            guard let l = locals[w] else { return }
            let range = WorkerShares.rows(w, of: k, in: n)
            var total = l.local.total
            for (v, leaf) in zip(l.values, leaves) {
                total = total + v.innerProduct(leaf.grad?.rows(range) ?? Tensor(zeros: v.shape))
            }
            total.backward()
        }
        if reduce { gradientSum.reduce(threads: k) }
        var parts = present[0].local.parts
        for l in present.dropFirst() {
            for (i, p) in l.local.parts.enumerated() where i < parts.count { parts[i].value += p.value }
        }
        let total = present.map(\.local.value).reduce(coupledTerms.value, +)
        return (total, parts + coupledTerms.parts)
    }

    /// The gradient: the primary's buffer plus the replicas' (`GradientSum`).
    public private(set) lazy var gradientSum = GradientSum(parameters.grads, others: replicaGradients)
}
