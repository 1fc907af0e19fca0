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

/// One training step's loss, gradients and update, the same for `latent train` and `latent bench`: a strategy
/// computes one process's loss and gradients (`GraphStrategy` on one thread, `DataParallel` replicas, or
/// `PlannedStrategy`: a plan, a fork of plans, or a team of MLP plans updating layer by layer), a `ProcessShare`
/// adds the processes, and the optimiser applies the `GradientSum` of the buffers the step owns.
public final class TrainingStep {
    /// The model trained.
    public let model: any TrainableModel
    /// "planned, 2 data-parallel workers" and the like.
    public let description: String
    /// The engine in use: planned or graph.
    public let engine: TrainingEngine
    /// The gradient the step leaves: the sum of its workers' buffers (with several processes, their sum is
    /// made before the exchange and this is `parameters.grads` alone).
    public let gradients: GradientSum
    /// Threads the optimiser's update is split over.
    public let updateThreads: Int
    private let optimizer: any Optimizer
    private let strategy: any StepStrategy
    /// A team of MLP plans and an optimiser that updates in slices: `train` updates inside the backward pass
    /// (looked up once: a step makes no dynamic casts).
    private let team: (team: PlannedTeam, strategy: PlannedStrategy, optimizer: any SlicedUpdate)?
    private let processes: ProcessShare?
    /// The last step's loss terms, summed over the batch (and processes).
    private let terms = StepTerms()
    /// A model whose groups sit out some steps, Adam, and the span of each of its groups' modules.
    private let gate: (model: any GatedGroupsModel, adam: Adam, spans: [String: Range<Int>])?
    /// The rows of the last batch.
    private var lastRows = 0

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

    /// The data-parallel workers a step of `config` on `threads` threads uses (one where its loss needs the whole
    /// batch, or with `splitBatches` false), and the threads BLAS should then run with: one per worker, or all of
    /// them inside each call.
    public static func threadPlan(
        _ config: ModelConfig, threads: Int, splitBatches: Bool = true
    ) -> (workers: Int, blasThreads: Int) {
        let threads = max(1, threads)
        let splittable = config.kind.member.unsplittableReason(config, processes: false) == nil
        let workers = splitBatches && splittable ? threads : 1
        return (workers, workers > 1 ? 1 : threads)
    }

    /// Sets BLAS's thread count (a process-wide setting) for a step of `config` on `threads` threads: before the
    /// step is built, whose oneDNN kernels are made for the thread count they will run on. The step itself sets
    /// no global; `Trainer` and `SpeedBenchmark` call this first.
    public static func configureBLAS(for config: ModelConfig, threads: Int, splitBatches: Bool = true) {
        BLAS.setThreads(threadPlan(config, threads: threads, splitBatches: splitBatches).blasThreads)
    }

    /// Sets up the step for `threads` threads and batches of up to `batchSize` rows (with `splitBatches` false,
    /// the threads work inside each BLAS call instead, for comparison; see `configureBLAS`).
    /// With `processes` (several), each process takes its share of every batch (process r: rows r·n/P up to
    /// (r+1)·n/P, as worker r of P would) and splits it over its threads; the processes' gradients are summed in
    /// one in-place allreduce per step, so every process applies the same update.
    public init(
        _ model: any TrainableModel, optimizer: any Optimizer, threads: Int, batchSize: Int,
        engine: TrainingEngine = .auto, splitBatches: Bool = true, processes: (any ProcessGroup)? = nil
    ) throws {
        self.model = model
        self.optimizer = optimizer
        let group = (processes?.size ?? 1) > 1 ? processes : nil
        if let group { try Self.checkDistributable(model.config, processes: group.size) }
        let batchSize = (batchSize + (group?.size ?? 1) - 1) / (group?.size ?? 1)
        try Self.checkFits(model.config, batchSize: batchSize)
        let workers = Self.threadPlan(model.config, threads: threads, splitBatches: splitBatches).workers
        let rows = (batchSize + workers - 1) / workers
        if engine != .graph,
            let planned = PlannedStrategy(model, parameters: optimizer.parameters, workers: workers, rows: rows)
        {
            strategy = planned
        } else {
            if engine == .planned {
                let kind = model.config.kind.rawValue
                let why =
                    model.config.planUnsupportedReason.map { "no plan for \($0)" } ?? "the \(kind) could not be planned"
                throw LatentError(.training, "`engine` planned: \(why); use `engine` graph or auto")
            }
            strategy =
                workers > 1
                ? DataParallel(model, parameters: optimizer.parameters, workers: workers)
                : GraphStrategy(model, optimizer: optimizer)
        }
        self.engine = strategy.engine
        updateThreads = max(1, threads)
        if let planned = strategy as? PlannedStrategy { terms.setNames(planned.termNames) }
        if group == nil, let planned = strategy as? PlannedStrategy, let team = planned.team,
            let sliced = optimizer as? any SlicedUpdate
        {
            self.team = (team, planned, sliced)
        } else {
            team = nil
        }
        let all = GradientSum(optimizer.parameters.grads, others: strategy.otherGradients)
        if let group {
            // The workers' buffers are added before the processes exchange the sum; the update reads it alone.
            self.processes = ProcessShare(group, strategy: strategy, local: all, model: model)
            gradients = GradientSum(optimizer.parameters.grads)
        } else {
            (self.processes, gradients) = (nil, all)
        }
        if let gated = model as? any GatedGroupsModel, let adam = optimizer as? Adam {
            let spans = gated.optimizerGroups.compactMap { g in
                adam.parameters.range(ofPrefix: g.module).map { (g.module, $0) }
            }
            gate = (gated, adam, Dictionary(uniqueKeysWithValues: spans))
        } else {
            gate = nil
        }
        let split =
            workers > 1 ? "\(workers) data-parallel workers" : "\(threads) BLAS thread\(threads == 1 ? "" : "s")"
        let kernels = (strategy as? PlannedStrategy)?.convolutionKernels.map { ", convolutions on \($0)" } ?? ""
        description =
            "\(self.engine.rawValue), " + split + kernels
            + (group.map { ", process \($0.rank) of \($0.size)" } ?? "")
    }

    /// What cannot be split over processes: a loss on statistics of the whole batch (the kind says).
    static func checkDistributable(_ c: ModelConfig, processes: Int) throws {
        if let reason = c.kind.member.unsplittableReason(c, processes: true) { throw LatentError(.training, reason) }
    }

    /// Computes the batch's summed loss and leaves its gradient in `gradients`, for `optimizer.step`. Noise comes
    /// from `rng` (with several workers, through one seed per worker drawn from it: `WorkerShares`), so results
    /// depend on the seed and the thread count only. `klWeight` weighs a VAE's KL term (nil: β).
    /// Subnormals are flushed to zero (`Subnormals`).
    public func lossAndGradients(_ batch: Batch, klWeight: Float? = nil, rng: inout RandomGenerator) -> Float {
        lastRows = batch.count
        return Subnormals.flushed {
            if let processes { return processes.lossAndGradients(batch, klWeight: klWeight, rng: &rng, terms: terms) }
            return strategy.lossAndGradients(batch, klWeight: klWeight, rng: &rng, terms: terms)
        }
    }

    /// The optimiser's update from `gradients`, after `lossAndGradients` (what `train` does when the loss is finite).
    public func update() {
        holdGroups()
        Subnormals.flushed { optimizer.step(gradients, threads: updateThreads) }
    }

    /// Holds the groups the model's gate closes for this step, from its loss terms (summed over every process).
    private func holdGroups() {
        guard let gate else { return }
        for module in gate.model.heldGroups(parts: terms.all, rows: lastRows) {
            if let span = gate.spans[module] { gate.adam.hold(groupOver: span) }
        }
    }

    /// The last step's loss terms ("reconstruction", "kl", …), each summed over the batch: for reports (TensorBoard).
    public var lastTerms: [(name: String, value: Float)] { terms.all }

    /// The names of the last step's loss terms.
    public var termNames: [String] { terms.names }

    /// One training step on `batch`, with subnormals flushed to zero (`Subnormals`): its summed loss and gradients,
    /// then the optimiser's update, made only if the loss is finite. A team of MLP plans on one process updates each
    /// layer's slices as their gradients become final (`PlannedTeam`) instead of in a pass of its own afterwards; the
    /// result is the same update.
    public func train(_ batch: Batch, klWeight: Float? = nil, rng: inout RandomGenerator) -> Float {
        Subnormals.flushed {
            guard let (team, planned, sliced) = team, sliced.updatesInSlices else {
                let loss = lossAndGradients(batch, klWeight: klWeight, rng: &rng)
                if loss.isFinite {
                    holdGroups()
                    optimizer.step(gradients, threads: updateThreads)
                }
                return loss
            }
            sliced.beginStep()
            let loss = team.run(batch.x, klWeight: klWeight ?? model.config.beta, rng: &rng, optimizer: sliced)
            if loss.isFinite { sliced.endStep() }
            planned.record(terms)
            return loss
        }
    }
}

/// The last step's loss terms: names, and values in raw storage so recording them allocates nothing.
final class StepTerms {
    static let capacity = 8
    private(set) var names: [String] = []
    let values = UnsafeMutablePointer<Float>.allocate(capacity: StepTerms.capacity)

    init() { values.initialize(repeating: 0, count: Self.capacity) }
    deinit { values.deallocate() }

    /// Keeps a graph step's terms (their names only when they change, so a steady state allocates nothing).
    func record(_ parts: [(name: String, value: Float)]) {
        let parts = parts.prefix(Self.capacity)
        if !names.elementsEqual(parts, by: { $0 == $1.name }) { names = parts.map(\.name) }
        for (i, p) in parts.enumerated() { values[i] = p.value }
    }

    /// Sets the names once (a plan's: fixed for its life), so recording its values compares nothing.
    func setNames(_ names: [String]) { self.names = names }

    var all: [(name: String, value: Float)] { names.enumerated().map { ($1, values[$0]) } }
}

/// How one process's workers compute a batch's loss and gradients.
protocol StepStrategy: AnyObject {
    /// Graph or planned.
    var engine: TrainingEngine { get }
    /// The gradient buffers the workers write besides `parameters.grads` (their sum is the gradient).
    var otherGradients: [Tensor] { get }
    /// The BatchNorm groups the workers share statistics through (empty: none, or one worker's own).
    var batchNormGroups: [BatchNormSync] { get }
    /// BatchNorm groups for a lone worker whose statistics are shared with other processes.
    func aloneBatchNormGroups(_ model: any TrainableModel) -> [BatchNormSync]
    /// The batch's summed loss, its gradient left in the buffers and its terms in `terms`.
    func lossAndGradients(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator, terms: StepTerms) -> Float
}

/// The graph on one thread: record the loss, differentiate it.
final class GraphStrategy: StepStrategy {
    let model: any TrainableModel, optimizer: any Optimizer
    init(_ model: any TrainableModel, optimizer: any Optimizer) { (self.model, self.optimizer) = (model, optimizer) }
    var engine: TrainingEngine { .graph }
    var otherGradients: [Tensor] { [] }
    var batchNormGroups: [BatchNormSync] { [] }

    func aloneBatchNormGroups(_ model: any TrainableModel) -> [BatchNormSync] {
        let layers = model.layers(of: BatchNorm.self)
        return BatchNormSync.groups([layers]) { _, i, group in layers[i].sync = (group, 0) }
    }

    func lossAndGradients(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator, terms: StepTerms) -> Float {
        optimizer.zeroGrad()
        let loss = model.loss(batch, klWeight: klWeight, rng: &rng)
        loss.total.backward()
        terms.record(loss.parts)
        return loss.value
    }
}

/// The graph on data-parallel replicas, each differentiating its share into its own buffer.
extension DataParallel: StepStrategy {
    var engine: TrainingEngine { .graph }
    var otherGradients: [Tensor] { replicaGradients }
    var batchNormGroups: [BatchNormSync] { syncGroups }
    func aloneBatchNormGroups(_ model: any TrainableModel) -> [BatchNormSync] { [] }

    func lossAndGradients(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator, terms: StepTerms) -> Float {
        let loss = lossAndGradients(batch, klWeight: klWeight, rng: &rng, reduce: false)
        terms.record(loss.parts)
        return loss.total
    }
}

/// Planned steps: one plan, a fork of plans over the workers (a buffer each), or a team of MLP plans writing
/// one buffer (`PlannedTeam`).
final class PlannedStrategy: StepStrategy {
    let plans: [any PlannedStep]
    let team: PlannedTeam?
    let fork: PlannedFork?
    let beta: Float
    var engine: TrainingEngine { .planned }

    /// Plans for `workers` workers of `rows` rows each, or nil where the model has none.
    init?(_ model: any TrainableModel, parameters: ParameterSet, workers: Int, rows: Int) {
        guard model.config.planUnsupportedReason == nil,
            let first = model.plannedStep(parameters: parameters, gradients: parameters.grads, rows: rows)
        else { return nil }
        // A team's members write one gradient buffer; other plans, one each.
        let shared = PlannedTeam.canJoin(first)
        var plans = [first]
        for _ in 1..<workers {
            let gradients = shared ? parameters.grads : Tensor(zeros: parameters.grads.shape)
            guard let plan = model.plannedStep(parameters: parameters, gradients: gradients, rows: rows) else {
                return nil
            }
            plans.append(plan)
        }
        self.plans = plans
        team = PlannedTeam(plans)
        fork = workers > 1 && team == nil ? PlannedFork(plans, groups: synchronizeBatchNorms(plans)) : nil
        beta = model.config.beta
        termNames = model.config.isVariational ? ["reconstruction", "kl"] : ["reconstruction"]
    }

    let termNames: [String]
    var otherGradients: [Tensor] { team == nil ? plans.dropFirst().map(\.gradients) : [] }
    var batchNormGroups: [BatchNormSync] { fork?.groups ?? [] }
    var convolutionKernels: String? { plans.first?.convolutionKernels }

    func aloneBatchNormGroups(_ model: any TrainableModel) -> [BatchNormSync] {
        plans.count == 1 ? synchronizeBatchNorms(plans, evenAlone: true) : []
    }

    func lossAndGradients(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator, terms: StepTerms) -> Float {
        let weight = klWeight ?? beta
        defer { record(terms) }
        if let team { return team.run(batch.x, klWeight: weight, rng: &rng, optimizer: nil) }
        guard let fork else { return plans[0].run(batch.x.data, rows: batch.x.shape[0], klWeight: weight, rng: &rng) }
        return fork.run(batch.x, klWeight: weight, rng: &rng)
    }

    /// The plans' terms of their last run, summed.
    func record(_ terms: StepTerms) {
        var reconstruction: Float = 0, kl: Float = 0
        for plan in plans {
            reconstruction += plan.lastTerms.reconstruction
            kl += plan.lastTerms.kl
        }
        (terms.values[0], terms.values[1]) = (reconstruction, kl)
    }
}

/// A step split over processes: each takes its rows of the batch (`WorkerShares`, process r of P), its strategy
/// computes their loss and gradients, the workers' buffers are added, and one allreduce sums the gradient and
/// another the loss and its terms, so every process applies the same update.
final class ProcessShare {
    let group: any ProcessGroup
    let strategy: any StepStrategy
    /// This process's gradient: the primary plus its workers' buffers.
    let local: GradientSum
    /// One noise seed per process, and the loss and terms to sum.
    private let seeds: UnsafeMutableBufferPointer<UInt64>
    private let loss = UnsafeMutablePointer<Float>.allocate(capacity: 1 + StepTerms.capacity)
    /// BatchNorm groups a lone worker begins and ends itself (several workers' fork or replicas do).
    private let aloneGroups: [BatchNormSync]

    init(_ group: any ProcessGroup, strategy: any StepStrategy, local: GradientSum, model: any TrainableModel) {
        (self.group, self.strategy, self.local) = (group, strategy, local)
        seeds = .allocate(capacity: group.size)
        loss.initialize(repeating: 0, count: 1 + StepTerms.capacity)
        // Every BatchNorm layer's statistics are summed over the processes too (after the threads').
        let shared = strategy.batchNormGroups
        aloneGroups = shared.isEmpty ? strategy.aloneBatchNormGroups(model) : []
        for batchNorm in shared + aloneGroups { batchNorm.acrossProcesses = { group.sum($0, count: $1) } }
    }

    deinit {
        seeds.deallocate()
        loss.deallocate()
    }

    func lossAndGradients(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator, terms: StepTerms) -> Float {
        // Every process draws every process's seed, so the random streams stay the same on all of them.
        let p = group.size, r = group.rank, n = batch.x.shape[0]
        WorkerShares.drawSeeds(seeds, from: &rng)
        if WorkerShares.hasRows(r, of: p, in: n) {
            var own = RandomGenerator(seed: seeds[r])
            for batchNorm in aloneGroups { batchNorm.begin { _ in true } }
            loss.pointee = strategy.lossAndGradients(
                WorkerShares.share(r, of: p, in: batch), klWeight: klWeight, rng: &own, terms: terms)
            for batchNorm in aloneGroups { batchNorm.end() }
            (loss + 1).update(from: terms.values, count: StepTerms.capacity)
            local.reduce(threads: 1)
        } else {
            local.primary.update(repeating: 0, count: local.count)
            loss.update(repeating: 0, count: 1 + StepTerms.capacity)
        }
        group.sum(local.primary, count: local.count)
        group.sum(loss, count: 1 + StepTerms.capacity)
        terms.values.update(from: loss + 1, count: StepTerms.capacity)
        return loss.pointee
    }
}

/// The planned step's batch split over data-parallel workers, one plan each: an object, so that handing it
/// to the worker threads allocates nothing.
final class PlannedFork: ParallelWork {
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
        WorkerShares.drawSeeds(seeds, from: &rng)
        let (n, k) = (rows, plans.count)
        for group in groups { group.begin { w in WorkerShares.hasRows(w, of: k, in: n) } }
        Parallel.forEach(plans.count, self)
        for group in groups { group.end() }
        return losses.reduce(0, +)
    }

    func runPiece(_ w: Int) {
        let share = WorkerShares.rows(w, of: plans.count, in: rows)
        var r = RandomGenerator(seed: seeds[w])
        let loss = plans[w].run(x! + share.lowerBound * features, rows: share.count, klWeight: klWeight, rng: &r)
        losses[w] = loss
    }
}
