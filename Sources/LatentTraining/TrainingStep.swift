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

/// One training step's loss, gradients and update, the same for `latent train` and `latent bench`: the engine
/// (graph or plan) and how the threads are used (data-parallel workers, each differentiating a slice of the batch,
/// MLP plans as a `PlannedTeam` into one gradient buffer with the update made layer by layer, the others into a
/// buffer each, which the optimiser sums as it updates; or threads inside BLAS).
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
    /// MLP plans work as a team on one gradient buffer, and update each layer as they go (`train`).
    private let team: PlannedTeam?
    /// The optimiser, if it can update a slice at a time.
    private let sliced: (any SlicedUpdate)?
    private let parallel: DataParallel?
    /// With several processes: the group, this process's gradient buffers besides the primary (added into it
    /// before the processes sum it), one noise seed per process and the loss to sum.
    private let processes: (any ProcessGroup)?
    private let localGradients: [Tensor]
    private let processSeeds: UnsafeMutableBufferPointer<UInt64>
    /// BatchNorm groups a single worker begins and ends itself (several workers' fork or replicas do).
    private var aloneGroups: [BatchNormSync] = []
    /// The loss and its terms, summed over the processes in one allreduce.
    private let processLoss = UnsafeMutablePointer<Float>.allocate(capacity: 1 + TrainingStep.maxTerms)
    /// The last step's loss terms, summed over the batch (and processes): names, and values in raw storage so
    /// recording them allocates nothing.
    public private(set) var termNames: [String] = []
    private let termValues = UnsafeMutablePointer<Float>.allocate(capacity: TrainingStep.maxTerms)
    private static let maxTerms = 8

    /// Refuses a step on batches of `batchSize` (per process) of `config` that would not fit in the machine's
    /// memory — before anything is allocated, so a run can check it before it announces itself.
    public static func checkFits(_ config: ModelConfig, batchSize: Int) throws {
        let samples = config.kind.member.samplesPerExample(config)
        let what =
            "a training step on batches of \(batchSize)" + (samples > 1 ? " × \(samples) importance samples" : "")
        try MemoryBudget.check(
            Double(batchSize) * Double(samples) * config.trainingValuesPerExample * 4, for: what,
            domain: .training, field: samples > 1 ? config.kind.member.samplesSetting ?? "batchSize" : "batchSize")
    }

    /// Sets up the step for `threads` threads and batches of up to `batchSize` rows, and points the
    /// optimiser at every gradient buffer the step writes (any `Optimizer` sums them into its update). With
    /// `splitBatches` false, the threads work inside each BLAS call instead (for comparison). Sets the BLAS
    /// thread count to match.
    /// With `processes` (several), each process takes its share of every batch (process r: rows r·n/P up to
    /// (r+1)·n/P, as worker r of P would) and splits it over its threads; the processes' gradients are summed in
    /// one in-place allreduce per step, so every process applies the same update.
    public init(
        _ model: any TrainableModel, optimizer: any Optimizer, threads: Int, batchSize: Int,
        engine: TrainingEngine = .auto, splitBatches: Bool = true, processes: (any ProcessGroup)? = nil
    ) throws {
        self.model = model
        self.optimizer = optimizer
        termValues.initialize(repeating: 0, count: Self.maxTerms)
        let processes = (processes?.size ?? 1) > 1 ? processes : nil
        if let processes { try Self.checkDistributable(model.config, processes: processes.size) }
        self.processes = processes
        processSeeds = .allocate(capacity: processes?.size ?? 1)
        let batchSize = (batchSize + (processes?.size ?? 1) - 1) / (processes?.size ?? 1)
        try Self.checkFits(model.config, batchSize: batchSize)
        let parameters = optimizer.parameters
        let reason = model.config.planUnsupportedReason
        if engine == .planned, let reason {
            throw LatentError(.training, "`engine` planned: no plan for \(reason); use `engine` graph or auto")
        }
        let threads = max(1, threads)
        // A loss on whole-batch statistics threads inside BLAS instead. (BatchNorm's are exchanged between the
        // workers: `BatchNormSync`.)
        let splittable = model.config.kind.member.unsplittableReason(model.config, processes: false) == nil
        let workers = splitBatches && splittable ? threads : 1
        let rows = (batchSize + workers - 1) / workers
        // Before the plans: oneDNN's kernels are made for the thread count they will run on.
        BLAS.setThreads(workers > 1 ? 1 : threads)
        var plans: [any PlannedStep] = []
        if engine != .graph && reason == nil,
            let first = model.plannedStep(parameters: parameters, gradients: parameters.grads, rows: rows)
        {
            // A team's members write one gradient buffer; other plans, one each.
            let shared = PlannedTeam.canJoin(first)
            plans = [first]
            for _ in 1..<workers {
                let gradients = shared ? parameters.grads : Tensor(zeros: parameters.grads.shape)
                guard let plan = model.plannedStep(parameters: parameters, gradients: gradients, rows: rows) else {
                    break
                }
                plans.append(plan)
            }
        }
        sliced = optimizer as? any SlicedUpdate
        if plans.count == workers {
            termNames = model.config.isVariational ? ["reconstruction", "kl"] : ["reconstruction"]
            team = PlannedTeam(plans)
            let fork = workers > 1 && team == nil ? PlannedFork(plans, groups: synchronizeBatchNorms(plans)) : nil
            (self.plans, self.fork, parallel, self.engine) = (plans, fork, nil, .planned)
        } else {
            team = nil
            if engine == .planned {
                throw LatentError(
                    .training,
                    "`engine` planned: the \(model.config.kind.rawValue) model could not be planned; "
                        + "use `engine` graph")
            }
            let parallel = workers > 1 ? DataParallel(model, parameters: parameters, workers: workers) : nil
            (self.plans, fork, self.parallel, self.engine) = ([], nil, parallel, .graph)
        }
        let extra = (team == nil ? plans.dropFirst().map(\.gradients) : []) + (parallel?.replicaGradients ?? [])
        // One process: the optimiser sums the workers' buffers as it updates. Several: they are added into the
        // primary before the processes sum it.
        (optimizer.additionalGradients, localGradients) = processes == nil ? (extra, []) : ([], extra)
        optimizer.workers = threads
        let split =
            workers > 1 ? "\(workers) data-parallel workers" : "\(threads) BLAS thread\(threads == 1 ? "" : "s")"
        let kernels = self.plans.first?.convolutionKernels.map { ", convolutions on \($0)" } ?? ""
        description =
            "\(self.engine.rawValue), " + split + kernels
            + (processes.map { ", process \($0.rank) of \($0.size)" } ?? "")
        if let processes { shareBatchNorms(processes, plans: plans, workers: workers) }
    }

    /// With several processes, every BatchNorm layer's statistics are summed over them too (after the threads').
    private func shareBatchNorms(_ processes: any ProcessGroup, plans: [any PlannedStep], workers: Int) {
        var groups = fork?.groups ?? parallel?.syncGroups ?? []
        if workers == 1 {
            aloneGroups =
                plans.isEmpty
                ? model.layers(of: BatchNorm.self).map { layer in
                    let group = BatchNormSync(
                        workers: 1, channels: layer.weight.value.count, runningMean: layer.runningMean.value,
                        runningVariance: layer.runningVariance.value)
                    layer.sync = (group, 0)
                    return group
                }
                : synchronizeBatchNorms(plans, evenAlone: true)
            groups = aloneGroups
        }
        for group in groups { group.acrossProcesses = { processes.sum($0, count: $1) } }
    }

    deinit {
        processSeeds.deallocate()
        processLoss.deallocate()
        termValues.deallocate()
    }

    /// What cannot be split over processes: a loss on statistics of the whole batch (the kind says).
    static func checkDistributable(_ c: ModelConfig, processes: Int) throws {
        if let reason = c.kind.member.unsplittableReason(c, processes: true) { throw LatentError(.training, reason) }
    }

    /// Computes the batch's summed loss and leaves its gradient for `optimizer.step()` (plans overwrite their
    /// gradient buffers; the graph zeroes them first and accumulates). Noise comes from `rng` (with several
    /// workers, through one seed per worker drawn from it), so results depend on the seed and the thread
    /// count only.
    /// `klWeight` weighs a VAE's KL term (nil: β).
    public func lossAndGradients(_ batch: Batch, klWeight: Float? = nil, rng: inout RandomGenerator) -> Float {
        guard let processes else { return localLossAndGradients(batch, klWeight: klWeight, rng: &rng) }
        // Every process draws every process's seed, so the random streams stay the same on all of them.
        let p = processes.size, r = processes.rank, n = batch.x.shape[0]
        for k in 0..<p { processSeeds[k] = rng.next() }
        let lo = r * n / p, hi = (r + 1) * n / p
        let gradients = optimizer.parameters.grads
        if hi > lo {
            var local = RandomGenerator(seed: processSeeds[r])
            let share = Batch(
                x: batch.x.rows(lo..<hi), labels: batch.labels.isEmpty ? [] : Array(batch.labels[lo..<hi]))
            for group in aloneGroups { group.begin { _ in true } }
            processLoss.pointee = localLossAndGradients(share, klWeight: klWeight, rng: &local)
            for group in aloneGroups { group.end() }
            (processLoss + 1).update(from: termValues, count: Self.maxTerms)
            let g = gradients.data, count = gradients.count
            for other in localGradients {
                let o = other.data
                for i in 0..<count { g[i] += o[i] }
            }
        } else {
            gradients.fill(0)
            processLoss.update(repeating: 0, count: 1 + Self.maxTerms)
        }
        processes.sum(gradients.data, count: gradients.count)
        processes.sum(processLoss, count: 1 + Self.maxTerms)
        termValues.update(from: processLoss + 1, count: Self.maxTerms)
        return processLoss.pointee
    }

    /// The last step's loss terms ("reconstruction", "kl", …), each summed over the batch: for reports (TensorBoard).
    public var lastTerms: [(name: String, value: Float)] {
        termNames.enumerated().map { ($1, termValues[$0]) }
    }

    /// Keeps a graph step's terms (their names only when they change, so a steady state allocates nothing here).
    private func record(_ parts: [(name: String, value: Float)]) {
        let parts = parts.prefix(Self.maxTerms)
        if !termNames.elementsEqual(parts, by: { $0 == $1.name }) { termNames = parts.map(\.name) }
        for (i, p) in parts.enumerated() { termValues[i] = p.value }
    }

    /// Sums the plans' terms of their last run.
    private func recordPlans() {
        var reconstruction: Float = 0, kl: Float = 0
        for plan in plans {
            reconstruction += plan.lastTerms.reconstruction
            kl += plan.lastTerms.kl
        }
        (termValues[0], termValues[1]) = (reconstruction, kl)
    }

    /// One training step on `batch`: its summed loss and gradients, then the optimiser's update, made only if the
    /// loss is finite. A team of MLP plans on one process updates each layer's slices as their gradients become
    /// final (`PlannedTeam`) instead of in a pass of its own afterwards; the result is the same update.
    public func train(_ batch: Batch, klWeight: Float? = nil, rng: inout RandomGenerator) -> Float {
        guard let team, let sliced, processes == nil, sliced.updatesInSlices else {
            let loss = lossAndGradients(batch, klWeight: klWeight, rng: &rng)
            if loss.isFinite { optimizer.step() }
            return loss
        }
        sliced.beginStep()
        let loss = team.run(batch.x, klWeight: klWeight ?? model.config.beta, rng: &rng, optimizer: sliced)
        if loss.isFinite { sliced.endStep() }
        recordPlans()
        return loss
    }

    /// This process's loss and gradients for `batch` (its share of the batch, with several processes).
    private func localLossAndGradients(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> Float {
        if let parallel {
            let loss = parallel.lossAndGradients(batch, klWeight: klWeight, rng: &rng, reduce: false)
            record(loss.parts)
            return loss.total
        }
        guard !plans.isEmpty else {
            optimizer.zeroGrad()
            let loss = model.loss(batch, klWeight: klWeight, rng: &rng)
            loss.total.backward()
            record(loss.parts)
            return loss.value
        }
        let weight = klWeight ?? model.config.beta
        defer { recordPlans() }
        if let team { return team.run(batch.x, klWeight: weight, rng: &rng, optimizer: nil) }
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
