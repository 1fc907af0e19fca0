/// How a batch is shared out, the same for threads and processes: of n rows, worker w of k takes rows
/// w·n/k ..< (w+1)·n/k, and draws its noise from a generator of its own, seeded from the step's generator in worker
/// order. So results depend on the seed and the number of workers, never on which thread or process ran first.
public enum WorkerShares {
    /// The rows of worker `w` of `k` in a batch of `n`.
    @inline(__always) public static func rows(_ w: Int, of k: Int, in n: Int) -> Range<Int> {
        (w * n / k)..<((w + 1) * n / k)
    }

    /// Whether worker `w` of `k` has any row of a batch of `n`.
    @inline(__always) public static func hasRows(_ w: Int, of k: Int, in n: Int) -> Bool { w * n / k < (w + 1) * n / k }

    /// One seed per worker into `seeds`, drawn from `rng` in worker order (allocates nothing).
    public static func drawSeeds(_ seeds: UnsafeMutableBufferPointer<UInt64>, from rng: inout RandomGenerator) {
        for w in seeds.indices { seeds[w] = rng.next() }
    }

    /// The rows of `batch` worker `w` of `k` takes; the first share carries the terms on the parameters alone.
    public static func share(_ w: Int, of k: Int, in batch: Batch) -> Batch {
        let range = rows(w, of: k, in: batch.x.shape[0])
        return Batch(
            x: batch.x.rows(range), labels: batch.labels.isEmpty ? [] : Array(batch.labels[range]),
            datasetSize: batch.datasetSize, epoch: batch.epoch,
            parameterTermRows: w == 0 ? batch.parameterTermRows : 0)
    }
}
