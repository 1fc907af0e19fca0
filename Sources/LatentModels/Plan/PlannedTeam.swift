import LatentNN
import LatentTensor

/// Data-parallel workers on one MLP plan each that share one gradient buffer: each runs forward and passes the
/// gradient down through every layer for its share of the batch's rows; then, after one meeting, each computes
/// its share of every layer's output rows of the weight and bias gradients over every worker's rows, and hands
/// each slice to the optimiser at once (`SlicedUpdate`), while the slice is in cache. No worker has a gradient
/// buffer of its own to sum afterwards, and the optimiser makes no pass of its own over the gradient. (A weight
/// is updated only after every worker has passed the gradient down through its layer, which reads it.)
public final class PlannedTeam: ParallelWork {
    let plans: [PlannedNetwork]
    /// The workers meet here once a step, when every one has passed the gradient down through every layer: one
    /// meeting instead of one per layer, so a worker that is late on one layer can catch up on the next.
    let barrier: SpinBarrier
    /// Each worker's loss, seen by all after the first meeting (a non-finite one cancels the update).
    let losses: UnsafeMutableBufferPointer<Float>
    private let seeds: UnsafeMutableBufferPointer<UInt64>
    /// Per member, room for one layer's column sums (`widest` values).
    private let columnSums: UnsafeMutablePointer<Float>, widest: Int
    private var x: UnsafePointer<Float>?, rows = 0, features = 0, klWeight: Float = 1
    private var optimizer: (any SlicedUpdate)?
    /// Where the shared gradient buffer starts (a slice's range is counted from it).
    private let base: UnsafeMutablePointer<Float>
    /// Each dense layer's output rows per member (`assign`), indexed [layer][member].
    let ranges: [[Range<Int>]]
    /// A slice of a weight gradient small enough to stay in cache until the optimiser has read it.
    static let sliceBytes = 1 << 20
    /// Every product of a weight gradient's rows starts at a multiple of this many rows, however the rows are shared
    /// out (over 1, 2 or 3 members, or over processes, which must train to the same weights as threads): OpenBLAS
    /// runs through them in blocks (12 on Haswell and Zen) and sums a block's rows in another order when the block
    /// starts elsewhere, or is a short one at a product's end (`Scripts/experiments/gemm_row_blocks.sh`).
    static let rowGrid = 96

    /// A team of these plans, or nil unless each is an MLP plan (no convolutions) writing the same gradient buffer.
    public init?(_ plans: [any PlannedStep]) {
        let networks = plans.compactMap { $0 as? PlannedNetwork }
        guard let first = networks.first, networks.count == plans.count,
            networks.allSatisfy({ Self.canJoin($0) && $0.gradients.data == first.gradients.data })
        else { return nil }
        self.plans = networks
        barrier = SpinBarrier(count: networks.count)
        losses = .allocate(capacity: networks.count)
        seeds = .allocate(capacity: networks.count)
        base = first.gradients.data
        widest = first.dense.map(\.outputs).max() ?? 0
        columnSums = .allocate(capacity: max(1, networks.count * widest))
        ranges = Self.assign(
            first.dense.map { ($0.outputs, $0.inputs) }, order: first.backwardOrder, members: networks.count)
    }

    /// Each layer's output rows cut on `rowGrid` into one part per member, the larger parts going to the members
    /// with the least work so far (rows · inputs, in `order`), so that the members finish together: the cut of
    /// a 400-row layer in two is 192 and 208 rows, and a layer narrower than the grid (a VAE's heads) is one part.
    static func assign(_ layers: [(outputs: Int, inputs: Int)], order: [Int], members k: Int) -> [[Range<Int>]] {
        var ranges = [[Range<Int>]](repeating: [Range<Int>](repeating: 0..<0, count: k), count: layers.count)
        var work = [Int](repeating: 0, count: k)
        for key in order {
            let (outputs, inputs) = layers[key]
            func cut(_ m: Int) -> Int {
                m == k ? outputs : min(outputs, (m * outputs / k + rowGrid / 2) / rowGrid * rowGrid)
            }
            let parts = (0..<k).map { cut($0)..<cut($0 + 1) }
                .sorted { ($0.count, -$0.lowerBound) > ($1.count, -$1.lowerBound) }
            let members = (0..<k).sorted { (work[$0], $0) < (work[$1], $1) }
            for (part, m) in zip(parts, members) {
                ranges[key][m] = part
                work[m] += part.count * inputs
            }
        }
        return ranges
    }

    /// Whether plans like this one can work in a team (and so should share one gradient buffer).
    public static func canJoin(_ plan: any PlannedStep) -> Bool {
        guard let network = plan as? PlannedNetwork else { return false }
        return network.features.isEmpty && network.deconvolutions.isEmpty
    }

    deinit {
        losses.deallocate()
        seeds.deallocate()
        columnSums.deallocate()
    }

    /// The batch's objective, summed, and its gradient in the shared buffer; with `optimizer`, also the update
    /// (none if the loss is not finite). One worker uses `rng` itself; several draw one seed each from it (as
    /// `DataParallel` does), so results depend on the seed and the worker count, not on thread timing.
    public func run(
        _ batch: Tensor, klWeight: Float, rng: inout RandomGenerator, optimizer: (any SlicedUpdate)?
    ) -> Float {
        (x, rows, features, self.klWeight) = (
            UnsafePointer(batch.data), batch.shape[0], batch.count / max(batch.shape[0], 1), klWeight
        )
        self.optimizer = optimizer
        defer { self.optimizer = nil }
        if plans.count == 1 {
            plans[0].run(x!, rows: rows, klWeight: klWeight, rng: &rng, team: self, member: 0)
        } else {
            for w in seeds.indices { seeds[w] = rng.next() }
            Parallel.forEach(plans.count, self)
        }
        return losses.reduce(0, +)
    }

    /// Worker `w`: its share of the batch's rows, with its own noise.
    public func runPiece(_ w: Int) {
        let k = plans.count, lo = w * rows / k, hi = (w + 1) * rows / k
        var r = RandomGenerator(seed: seeds[w])
        plans[w].run(x! + lo * features, rows: hi - lo, klWeight: klWeight, rng: &r, team: self, member: w)
    }

    /// Called by every member once it has passed the gradient down through every layer: waits for the others,
    /// then computes (and, unless a loss is not finite, updates) this member's share of every layer's parameters,
    /// in the order the backward pass reached the layers.
    func share(member w: Int) {
        barrier.wait()
        let update = losses.reduce(0, +).isFinite ? optimizer : nil
        for key in plans[w].backwardOrder { shareLayer(key, member: w, update: update) }
    }

    /// Member `w`'s share of layer `key`'s weight and bias gradients: its rows of the layer's output (`ranges`) over
    /// every member's rows, in cache-sized pieces, each handed to `update` once final.
    private func shareLayer(_ key: Int, member w: Int, update: (any SlicedUpdate)?) {
        let layer = plans[w].dense[key]
        let outputs = layer.outputs, inputs = layer.inputs, grid = Self.rowGrid
        let lo = ranges[key][w].lowerBound, hi = ranges[key][w].upperBound
        guard hi > lo else { return }
        let step = max(grid, Self.sliceBytes / (4 * inputs) / grid * grid)
        var r0 = lo
        while r0 < hi {
            let r1 = min(hi, r0 + step), slice = layer.weightGrad + r0 * inputs
            var beta: Float = 0
            for p in plans where p.lastRows > 0 {
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: r1 - r0, n: inputs, k: p.lastRows,
                    p.dense[key].outputGrad.data + r0, lda: outputs, p.denseInputs[key], ldb: inputs, beta: beta,
                    slice, ldc: inputs)
                beta = 1
            }
            if beta == 0 { slice.update(repeating: 0, count: (r1 - r0) * inputs) }
            let offset = slice - base
            update?.update(offset..<(offset + (r1 - r0) * inputs))
            r0 = r1
        }
        // Each member's rows summed on their own, then the sums added in order, as separate processes' gradients
        // are (so 2 processes and 2 threads train to the same weights).
        let bias = layer.biasGrad + lo, n = hi - lo, sums = columnSums + w * widest
        var first = true
        for p in plans where p.lastRows > 0 {
            let g = p.dense[key].outputGrad.data + lo
            sumRows(g, rows: p.lastRows, columns: n, stride: outputs, into: first ? bias : sums)
            if !first { VectorMath.add(sums, into: bias, n) }
            first = false
        }
        if first { bias.update(repeating: 0, count: n) }
        let offset = bias - base
        update?.update(offset..<(offset + hi - lo))
    }
}
