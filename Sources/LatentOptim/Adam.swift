import CKernels
import LatentNN
import LatentTensor

#if canImport(Glibc)
    import Glibc
#endif

/// Adam (Kingma & Ba 2015) with PyTorch's exact update, including its placement of epsilon outside the
/// bias-corrected square root and L2 weight decay added to the gradient.
public final class Adam: Optimizer {
    /// The flat parameters and gradients.
    public let parameters: ParameterSet
    /// The learning rate, changeable between steps.
    public var learningRate: Float
    /// Decay rates of the moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to the denominator's square root.
    public let epsilon: Float
    /// L2 penalty added to the gradient (PyTorch's `weight_decay`).
    public let weightDecay: Float
    /// Number of steps taken (t in the paper).
    public private(set) var stepCount = 0
    /// First and second moment estimates, laid out like the parameters.
    public let m: Tensor, v: Tensor

    /// Adam over packed parameters; throws for hyperparameters outside their ranges.
    public init(
        _ parameters: ParameterSet, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0
    ) throws {
        try LearningRate.check(learningRate)
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw LatentError(.optimizer, field: "betas", "expected values in [0, 1), got (\(beta1), \(beta2))")
        }
        guard epsilon >= 0 else { throw LatentError(.optimizer, field: "epsilon", "expected ≥ 0, got \(epsilon)") }
        self.parameters = parameters
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.epsilon, self.weightDecay) = (beta1, beta2, epsilon, weightDecay)
        m = Tensor(zeros: parameters.values.shape)
        v = Tensor(zeros: parameters.values.shape)
        ownGradients = GradientSum(parameters.grads)
        gradients = ownGradients
    }

    /// Adam over a model's parameters (packed into flat buffers if they are not yet; see `ParameterSet`), as
    /// PyTorch's `Adam(model.parameters(), lr=…)`.
    public convenience init(
        _ model: Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0
    ) throws {
        try self.init(
            ParameterSet(model), learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay)
    }

    /// A span of the flat parameters with its own learning rate and moment decays (PyTorch's parameter groups; a
    /// discriminator trained beside its model with an optimiser of its own).
    public struct Group: Sendable {
        /// The span of `parameters`.
        public let range: Range<Int>
        /// Its learning rate and decay rates.
        public let learningRate: Float, beta1: Float, beta2: Float
        /// Its own step count (t of its bias corrections): the optimiser's, less the steps it was held for.
        public internal(set) var steps: Int
    }

    /// The spans with their own settings, in order; the rest follows `learningRate`, `beta1`, `beta2`.
    public private(set) var groups: [Group] = []
    /// The groups' constants of the current step, in `groups` order.
    private var groupConstants: [latent_adam_constants] = []
    /// Whether each group sits out the next step (`hold`), in `groups` order.
    private var held: [Bool] = []

    /// Gives `range` of the flat parameters its own learning rate and decay rates; spans may not overlap.
    public func addGroup(_ range: Range<Int>, learningRate: Float, beta1: Float, beta2: Float) throws {
        try LearningRate.check(learningRate)
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw LatentError(.optimizer, field: "betas", "expected values in [0, 1), got (\(beta1), \(beta2))")
        }
        precondition(range.lowerBound >= 0 && range.upperBound <= parameters.count, "group \(range) out of bounds")
        precondition(!groups.contains { $0.range.overlaps(range) }, "parameter groups overlap")
        groups.append(
            Group(range: range, learningRate: learningRate, beta1: beta1, beta2: beta2, steps: stepCount))
        groups.sort { $0.range.lowerBound < $1.range.lowerBound }
        groupConstants = Array(repeating: latent_adam_constants(), count: groups.count)
        held = Array(repeating: false, count: groups.count)
    }

    /// Leaves the group over exactly `range` as it is at the next step: neither its parameters nor its moments
    /// change, and its own step count does not advance (PyTorch: its optimiser's `step()` is not called). False if
    /// no group spans `range`.
    @discardableResult
    public func hold(groupOver range: Range<Int>) -> Bool {
        guard let i = groups.firstIndex(where: { $0.range == range }) else { return false }
        held[i] = true
        return true
    }

    /// Restores the step counts after loading moments from a checkpoint: the optimiser's, and each group's
    /// (`groupSteps` in `groups` order; nil: the optimiser's).
    public func restore(stepCount: Int, groupSteps: [Int]? = nil) {
        self.stepCount = stepCount
        for i in groups.indices { groups[i].steps = groupSteps.map { $0[i] } ?? stepCount }
    }

    /// Threads the current update is split over (memory-bound: a second core adds bandwidth).
    fileprivate var workers = 1
    /// The gradient of the current update: its buffers are summed inside the update instead of in a separate
    /// pass over memory.
    private var gradients: GradientSum
    /// `parameters.grads` alone (`step()`).
    private let ownGradients: GradientSum
    /// Rescale the whole gradient to at most this L2 norm before the update (PyTorch's clip_grad_norm_).
    public var clipGradientNorm: Float?
    /// The gradient's L2 norm at the last step, when clipping measured it.
    public private(set) var lastGradientNorm: Double?

    /// The L2 norm of the gradient `gradients` sums (nil: `parameters.grads`), split over `threads`.
    public func gradientNorm(_ gradients: GradientSum? = nil, threads: Int = 1) -> Double {
        let sum = gradients ?? ownGradients
        let n = sum.count, k = max(1, threads)
        let g = sum.primary, extra = sum.others
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { partial in
            let o = SendablePointer(partial.baseAddress!)
            Parallel.forEach(k) { w in
                var s = SIMD8<Float>(repeating: 0), tail: Float = 0
                let slice = GradientSum.slice(w, of: k, count: n), hi = slice.upperBound
                var i = slice.lowerBound
                while i + 8 <= hi {
                    var gi = load8(g + i)
                    for e in extra { gi += load8(e! + i) }
                    s += gi * gi
                    i += 8
                }
                while i < hi {
                    var gi = g[i]
                    for e in extra { gi += e![i] }
                    tail += gi * gi
                    i += 1
                }
                o.pointer[w] = Double(s.sum()) + Double(tail)
            }
            return partial.reduce(0, +).squareRoot()
        }
    }

    /// One update from `parameters.grads`.
    public func step() { step(ownGradients, threads: 1) }

    /// One update from the gradient `gradients` sums, split over `threads`; the gradient is rescaled first if
    /// `clipGradientNorm` is set.
    public func step(_ gradients: GradientSum, threads: Int) {
        (self.gradients, workers) = (gradients, max(1, threads))
        var scale: Float = 1
        if let clip = clipGradientNorm {
            let norm = gradientNorm(gradients, threads: workers)
            lastGradientNorm = norm
            if norm > Double(clip) { scale = Float(Double(clip) / (norm + 1e-6)) }
        }
        prepare(gradientScale: scale)
        Parallel.forEach(max(1, workers), slices)
        countStep()
    }

    /// Counts a step taken: the optimiser's, and each group's that was not held (whose hold ends).
    private func countStep() {
        stepCount += 1
        for i in groups.indices {
            if !held[i] { groups[i].steps += 1 }
            held[i] = false
        }
    }

    /// The next step's constants; bias corrections in double precision, as PyTorch computes them (Python floats).
    private func prepare(gradientScale: Float) {
        constants = stepConstants(learningRate, beta1, beta2, steps: stepCount, gradientScale: gradientScale)
        for (i, g) in groups.enumerated() {
            groupConstants[i] = stepConstants(
                g.learningRate, g.beta1, g.beta2, steps: g.steps, gradientScale: gradientScale)
        }
    }

    private func stepConstants(
        _ lr: Float, _ beta1: Float, _ beta2: Float, steps: Int, gradientScale: Float
    ) -> latent_adam_constants {
        let t = Double(steps + 1)
        let bc1 = 1 - pow(Double(beta1), t), bc2 = 1 - pow(Double(beta2), t)
        return latent_adam_constants(
            oneMinusBeta1: 1 - beta1, beta2: beta2, oneMinusBeta2: 1 - beta2, epsilon: epsilon,
            weightDecay: weightDecay, stepSize: Float(Double(lr) / bc1), bc2Sqrt: Float(bc2.squareRoot()),
            gradientScale: gradientScale)
    }

    /// The update's share of worker `w` of `k`: slices start at multiples of 8 so every slice but the last
    /// is whole SIMD8 blocks.
    fileprivate func update(slice w: Int, of k: Int) { update(GradientSum.slice(w, of: k, count: parameters.count)) }

    private lazy var slices = UpdateSlices(self)
    /// The step's constants (`prepare`).
    private var constants = latent_adam_constants()

    /// PyTorch: g += wd·p; m = lerp(m, g, 1-β1); v = β2·v + (1-β2)·g²; p -= lr/bc1 · m / (√v/√bc2 + eps),
    /// summing the additional gradients on the way. One pass over memory, in C: eight lanes at a time with
    /// AVX2 where the CPU has it (Swift here compiles for baseline x86-64), scalar otherwise.
    public func update(_ range: Range<Int>) {
        var lo = range.lowerBound
        for (i, g) in groups.enumerated() {
            let a = max(lo, g.range.lowerBound), b = min(range.upperBound, g.range.upperBound)
            guard a < b else { continue }
            if lo < a { update(lo..<a, constants) }
            if !held[i] { update(a..<b, groupConstants[i]) }
            lo = b
        }
        if lo < range.upperBound { update(lo..<range.upperBound, constants) }
    }

    private func update(_ range: Range<Int>, _ constants: latent_adam_constants) {
        var k = constants
        gradients.others.withUnsafeBufferPointer { e in
            latent_adam_update(
                parameters.values.data, gradients.primary, e.baseAddress, e.count, m.data, v.data,
                range.lowerBound, range.upperBound, &k)
        }
    }
}

extension Adam: SlicedUpdate {
    /// Not with gradient clipping, which needs the whole gradient's norm first.
    public var updatesInSlices: Bool { clipGradientNorm == nil }
    /// The next step's bias corrections, without clipping, on `parameters.grads` alone.
    public func beginStep() {
        gradients = ownGradients
        prepare(gradientScale: 1)
    }
    /// Counts the step.
    public func endStep() { countStep() }
}

/// One Adam step's slices, as an object for `Parallel.forEach` (so the per-step fork allocates nothing).
private final class UpdateSlices: ParallelWork {
    unowned let adam: Adam
    init(_ adam: Adam) { self.adam = adam }
    func runPiece(_ w: Int) { adam.update(slice: w, of: adam.workers) }
}
