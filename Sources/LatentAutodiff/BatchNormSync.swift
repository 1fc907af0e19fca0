import LatentTensor

/// Synchronised batch statistics for one BatchNorm layer replicated over data-parallel workers: each worker
/// contributes the per-channel sums of its share of the batch and all get the totals, so the statistics are
/// the whole batch's — training on 2 workers normalises exactly as on 1 (PyTorch's SyncBatchNorm). The sums
/// are added in worker order, so every worker gets the same numbers whatever the timing.
public final class BatchNormSync: @unchecked Sendable {
    /// The replicas' count.
    public let workers: Int
    /// The primary layer's running statistics, updated once per step by the first working replica.
    public let runningMean: Tensor, runningVariance: Tensor
    private let barrier: SpinBarrier
    /// Two sets of per-worker partial sums (up to `width` values each), used alternately, so a fast worker's
    /// next exchange cannot overwrite sums a slow one is still reading. Raw memory: workers write their own
    /// slots concurrently.
    private let partials: UnsafeMutablePointer<Double>
    private let width: Int
    private let calls: UnsafeMutablePointer<Int>
    private let working: UnsafeMutablePointer<Bool>
    /// The totals over processes, written by the first working worker for the others.
    private let result: UnsafeMutablePointer<Double>

    /// With several processes (`mpirun`): sums `count` doubles over the processes in place. Called once per
    /// exchange, by the first working worker, on this process's totals; every process must take part in every
    /// exchange (a process with no rows cannot, so the training step keeps every process's share non-empty).
    public var acrossProcesses: ((UnsafeMutablePointer<Double>, Int) -> Void)?

    /// A group of `workers` replicas of a layer of `channels` channels sharing the primary's statistics.
    public init(workers: Int, channels: Int, runningMean: Tensor, runningVariance: Tensor) {
        self.workers = workers
        self.runningMean = runningMean
        self.runningVariance = runningVariance
        barrier = SpinBarrier(count: workers)
        width = 2 * channels + 1
        partials = .allocate(capacity: 2 * workers * width)
        calls = .allocate(capacity: workers)
        calls.initialize(repeating: 0, count: workers)
        working = .allocate(capacity: workers)
        working.initialize(repeating: true, count: workers)
        result = .allocate(capacity: width)
    }

    deinit {
        result.deallocate()
        partials.deallocate()
        calls.deallocate()
        working.deallocate()
    }

    /// Whether a synchronised step is under way (set around each data-parallel fork); outside one, layers use
    /// their own batch.
    public private(set) var isActive = false

    /// Starts a step in which the workers marked true take part (a worker with no rows does not).
    public func begin(working isWorking: (Int) -> Bool) {
        var count = 0
        for w in 0..<workers {
            working[w] = isWorking(w)
            count += working[w] ? 1 : 0
            calls[w] = 0
        }
        barrier.count = count
        isActive = true
    }

    /// Ends the step.
    public func end() { isActive = false }

    /// Whether `worker` is the one that updates the running statistics this step.
    public func updatesRunningStatistics(_ worker: Int) -> Bool {
        (0..<workers).first { working[$0] } == worker
    }

    /// The element-wise sum of every working worker's `count` values at `values`, written over them.
    public func total(worker: Int, _ values: UnsafeMutablePointer<Double>, count: Int) {
        precondition(count <= width, "BatchNormSync: \(count) sums for a group of width \(width)")
        let buffer = calls[worker] & 1
        calls[worker] += 1
        let slot = partials + (buffer * workers + worker) * width
        slot.update(from: values, count: count)
        barrier.wait()
        values.update(repeating: 0, count: count)
        for w in 0..<workers where working[w] {
            let other = partials + (buffer * workers + w) * width
            for j in 0..<count { values[j] += other[j] }
        }
        guard let acrossProcesses else { return }
        // A fast worker's next exchange writes `result` only after the next barrier, which this one reaches
        // after copying it.
        if updatesRunningStatistics(worker) {
            acrossProcesses(values, count)
            result.update(from: values, count: count)
        }
        barrier.wait()
        values.update(from: result, count: count)
    }
}
