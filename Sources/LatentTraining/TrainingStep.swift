import LatentAutodiff
import LatentModels
import LatentNN
import LatentOptim
import LatentTensor

/// How a training step computes its gradients (`--engine`).
public enum TrainingEngine: String, CaseIterable, Codable, Sendable {
    /// The planned step where the model has one (MLP AE and VAE), the graph otherwise.
    case auto
    /// Record the graph every step and differentiate it: every model, the reference.
    case graph
    /// The planned step (`PlannedNetwork`); an error for models without one.
    case planned
}

/// One training step's loss and gradients, the same for `latent train` and `latent bench`: the engine
/// (graph or plan) and how the threads are used (data-parallel workers, each differentiating a slice of
/// the batch into its own gradient buffer, which the optimiser sums as it updates; or threads inside BLAS).
public final class TrainingStep {
    /// The model trained.
    public let model: any TrainableModel
    /// "planned, 2 data-parallel workers" and the like.
    public let description: String
    /// The engine in use: planned or graph.
    public let engine: TrainingEngine
    private let optimizer: any Optimizer
    private let plans: [any PlannedStep]
    private let fork: PlannedFork?
    private let parallel: DataParallel?

    /// Sets up the step for `threads` threads and batches of up to `batchSize` rows, and points the
    /// optimiser at every gradient buffer the step writes (any `Optimizer` sums them into its update). With
    /// `splitBatches` false, the threads work inside each BLAS call instead (for comparison). Sets the BLAS
    /// thread count to match.
    public init(
        _ model: any TrainableModel, optimizer: any Optimizer, threads: Int, batchSize: Int,
        engine: TrainingEngine = .auto, splitBatches: Bool = true
    ) throws {
        self.model = model
        self.optimizer = optimizer
        let parameters = optimizer.parameters
        let reason = model.config.planUnsupportedReason
        if engine == .planned, let reason {
            throw LatentError(.training, "`engine` planned: no plan for \(reason); use `engine` graph or auto")
        }
        let threads = max(1, threads)
        // The SAE's penalty needs whole-batch statistics: it threads inside BLAS instead. (BatchNorm's are
        // exchanged between the workers: `BatchNormSync`.)
        let workers = splitBatches && model.config.kind != .sae ? threads : 1
        let rows = (batchSize + workers - 1) / workers
        let plans =
            engine == .graph || reason != nil
            ? []
            : (0..<workers).compactMap { w in
                model.plannedStep(
                    parameters: parameters,
                    gradients: w == 0 ? parameters.grads : Tensor(zeros: parameters.grads.shape), rows: rows)
            }
        if plans.count == workers {
            let fork = workers > 1 ? PlannedFork(plans, groups: synchronizeBatchNorms(plans)) : nil
            (self.plans, self.fork, parallel, self.engine) = (plans, fork, nil, .planned)
        } else {
            if engine == .planned {
                throw LatentError(
                    .training,
                    "`engine` planned: the \(model.config.kind.rawValue) model could not be planned; "
                        + "use `engine` graph")
            }
            let parallel = workers > 1 ? DataParallel(model, parameters: parameters, workers: workers) : nil
            (self.plans, fork, self.parallel, self.engine) = ([], nil, parallel, .graph)
        }
        BLAS.setThreads(workers > 1 ? 1 : threads)
        optimizer.additionalGradients = plans.dropFirst().map(\.gradients) + (parallel?.replicaGradients ?? [])
        optimizer.workers = threads
        let split =
            workers > 1 ? "\(workers) data-parallel workers" : "\(threads) BLAS thread\(threads == 1 ? "" : "s")"
        description = "\(self.engine.rawValue), " + split
    }

    /// Computes the batch's summed loss and leaves its gradient for `optimizer.step()` (plans overwrite their
    /// gradient buffers; the graph zeroes them first and accumulates). Noise comes from `rng` (with several
    /// workers, through one seed per worker drawn from it), so results depend on the seed and the thread
    /// count only.
    /// `klWeight` weighs a VAE's KL term (nil: β).
    public func lossAndGradients(_ batch: Batch, klWeight: Float? = nil, rng: inout RandomGenerator) -> Float {
        if let parallel { return parallel.lossAndGradients(batch, klWeight: klWeight, rng: &rng, reduce: false).total }
        guard !plans.isEmpty else {
            optimizer.zeroGrad()
            let loss = model.loss(batch, klWeight: klWeight, rng: &rng)
            loss.total.backward()
            return loss.value
        }
        let weight = klWeight ?? model.config.beta
        guard let fork else { return plans[0].run(batch.x.data, rows: batch.x.shape[0], klWeight: weight, rng: &rng) }
        return fork.run(batch.x, klWeight: weight, rng: &rng)
    }
}

/// The planned step's batch split over data-parallel workers, one plan each: an object, so that handing it
/// to the worker threads allocates nothing.
private final class PlannedFork: ParallelWork {
    let plans: [any PlannedStep]
    /// The BatchNorm groups the plans share statistics through (`synchronizeBatchNorms`).
    let groups: [BatchNormSync]
    /// Per-worker noise seeds and losses, reused every step (raw storage: workers write their own slot).
    private let seeds: UnsafeMutableBufferPointer<UInt64>, losses: UnsafeMutableBufferPointer<Float>
    private var x: UnsafePointer<Float>?, rows = 0, features = 0, klWeight: Float = 1

    init(_ plans: [any PlannedStep], groups: [BatchNormSync]) {
        self.plans = plans
        self.groups = groups
        seeds = .allocate(capacity: plans.count)
        losses = .allocate(capacity: plans.count)
    }

    deinit {
        seeds.deallocate()
        losses.deallocate()
    }

    /// Each worker's noise comes from its own generator seeded from `rng`, so results depend on the seed
    /// and the worker count, not on thread timing (as with the graph's `DataParallel`). Returns the summed loss.
    func run(_ batch: Tensor, klWeight: Float, rng: inout RandomGenerator) -> Float {
        (x, rows, features, self.klWeight) = (
            UnsafePointer(batch.data), batch.shape[0], batch.count / max(batch.shape[0], 1), klWeight
        )
        for w in seeds.indices { seeds[w] = rng.next() }
        let (n, k) = (rows, plans.count)
        for group in groups { group.begin { w in w * n / k < (w + 1) * n / k } }
        Parallel.forEach(plans.count, self)
        for group in groups { group.end() }
        return losses.reduce(0, +)
    }

    func runPiece(_ w: Int) {
        let k = plans.count, lo = w * rows / k, hi = (w + 1) * rows / k
        var r = RandomGenerator(seed: seeds[w])
        let loss = plans[w].run(x! + lo * features, rows: hi - lo, klWeight: klWeight, rng: &r)
        losses[w] = loss
    }
}
