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
    private var working: [Bool]

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
        working = Array(repeating: true, count: workers)
    }

    deinit {
        partials.deallocate()
        calls.deallocate()
    }

    /// Whether a synchronised step is under way (set around each data-parallel fork); outside one, layers use
    /// their own batch.
    public private(set) var isActive = false

    /// Starts a step in which the workers marked true take part (a worker with no rows does not).
    public func begin(working: [Bool]) {
        precondition(working.count == workers, "BatchNormSync: \(working.count) flags for \(workers) workers")
        self.working = working
        barrier.count = working.filter { $0 }.count
        for w in 0..<workers { calls[w] = 0 }
        isActive = true
    }

    /// Ends the step.
    public func end() { isActive = false }

    /// Whether `worker` is the one that updates the running statistics this step.
    func updatesRunningStatistics(_ worker: Int) -> Bool { working.firstIndex(of: true) == worker }

    /// The element-wise sum of every working worker's `local`, returned to each of them.
    func total(worker: Int, _ local: [Double]) -> [Double] {
        precondition(local.count <= width, "BatchNormSync: \(local.count) sums for a group of width \(width)")
        let buffer = calls[worker] & 1
        calls[worker] += 1
        let slot = { (w: Int) in self.partials + (buffer * self.workers + w) * self.width }
        for j in 0..<local.count { slot(worker)[j] = local[j] }
        barrier.wait()
        var sum = [Double](repeating: 0, count: local.count)
        for w in 0..<workers where working[w] {
            for j in 0..<sum.count { sum[j] += slot(w)[j] }
        }
        return sum
    }
}
