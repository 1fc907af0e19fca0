import LatentNN
import LatentTensor
import Synchronization

/// Data-parallel workers on one MLP plan each that share one gradient buffer: each runs forward and passes the
/// gradient down through every layer for its share of the batch's rows; then each takes runs of rows of the layers'
/// weight and bias gradients (over every worker's rows) from one queue until it is empty, and hands each run to the
/// optimiser at once (`SlicedUpdate`), while it is in cache. No worker has a gradient buffer of its own to sum
/// afterwards, and the optimiser makes no pass of its own over the gradient.
///
/// The workers never wait for each other as a group: a run of a layer waits only until every worker has passed the
/// gradient down through that layer (which reads the weights the run updates, and writes what the run reads) — with
/// two workers, only after it has added its own rows — and a worker that is done with its own rows early takes more
/// of the runs, so the workers finish together even on cores of unequal speed. Which worker takes a run changes no
/// bit of the result.
public final class PlannedTeam: ParallelWork {
    let plans: [PlannedNetwork]
    /// Each worker's loss, written before it passes any layer down, so seen by every member that has waited for a
    /// layer (a non-finite one cancels the update).
    let losses: UnsafeMutableBufferPointer<Float>
    private let seeds: UnsafeMutableBufferPointer<UInt64>
    /// Per member, room for one layer's column sums (`widest` values).
    private let columnSums: UnsafeMutablePointer<Float>, widest: Int
    private var x: UnsafePointer<Float>?, rows = 0, features = 0, klWeight: Float = 1
    private var optimizer: (any SlicedUpdate)?
    /// Where the shared gradient buffer starts (a run's range is counted from it).
    private let base: UnsafeMutablePointer<Float>
    /// The step's queue: rows of dense layer `key`'s weight and bias gradients, in the order the backward pass
    /// reaches the layers, large runs first and small ones last, the layers too small to cut at the end (`queue`).
    public let runs: [(key: Int, rows: Range<Int>)]
    /// The next run to take.
    private let next = Atomic<Int>(0)
    /// Per dense layer, the members that have passed the gradient down through it this step.
    private let passed: UnsafeMutablePointer<Atomic<Int>>
    /// A run's weight gradient is at most this large (or one piece, if a piece is larger), small enough to stay in
    /// cache until the optimiser has read it.
    static let sliceBytes = 1 << 20
    /// Every product of a weight gradient's rows starts at a multiple of this many rows, however the rows are shared
    /// out (over 1, 2 or 3 members, or over processes, which must train to the same weights as threads): OpenBLAS
    /// runs through them in blocks (12 on Haswell and Zen) and sums a block's rows in another order when the block
    /// starts elsewhere, or is a short one at a product's end (`Scripts/experiments/gemm_row_blocks.sh`).
    public static let rowGrid = 96
    /// Runs are cut from pieces of whole `rowGrid` blocks with at least this many multiply-adds per batch row.
    static let pieceWork = 1 << 15

    /// A team of these plans, or nil unless each is an MLP plan (no convolutions) writing the same gradient buffer.
    public init?(_ plans: [any PlannedStep]) {
        let networks = plans.compactMap { $0 as? PlannedNetwork }
        guard let first = networks.first, networks.count == plans.count,
            networks.allSatisfy({ Self.canJoin($0) && $0.gradients.data == first.gradients.data })
        else { return nil }
        self.plans = networks
        losses = .allocate(capacity: networks.count)
        seeds = .allocate(capacity: networks.count)
        base = first.gradients.data
        widest = first.dense.map(\.outputs).max() ?? 0
        columnSums = .allocate(capacity: max(1, networks.count * widest))
        passed = .allocate(capacity: max(1, first.dense.count))
        for i in 0..<max(1, first.dense.count) { (passed + i).initialize(to: Atomic(0)) }
        runs = Self.queue(
            first.dense.map { ($0.outputs, $0.inputs) }, order: first.backwardOrder, members: networks.count)
    }

    /// Each layer's output rows, in `order`, cut on `rowGrid` into pieces of at least `pieceWork` multiply-adds a
    /// batch row (a short last piece joins the one before), and the pieces joined into runs of one layer of at
    /// most `sliceBytes` and a 2k-th of the work still queued (guided scheduling: the first runs are large, and
    /// repack the products' operands less; the last are single pieces, and even out the members' finish). Layers
    /// too small to cut (a VAE's heads, a layer from the code) come last, in `order`: their runs are the smallest,
    /// and a member passes them down just before the last layer, so no run waits longer for them.
    public static func queue(
        _ layers: [(outputs: Int, inputs: Int)], order: [Int], members k: Int
    ) -> [(
        key: Int, rows: Range<Int>
    )] {
        func pieceRows(_ key: Int) -> Int {
            max(1, (pieceWork / max(layers[key].inputs, 1) + rowGrid - 1) / rowGrid) * rowGrid
        }
        var pieces: [(key: Int, rows: Range<Int>, work: Int)] = []
        let cut = order.filter { pieceRows($0) < layers[$0].outputs }
        for key in cut + order.filter({ !cut.contains($0) }) {
            let (outputs, inputs) = layers[key], unit = pieceRows(key)
            var bounds = Array(stride(from: 0, to: outputs, by: unit)) + [outputs]
            if bounds.count > 2, outputs - bounds[bounds.count - 2] < unit / 2 { bounds.remove(at: bounds.count - 2) }
            for (r0, r1) in zip(bounds, bounds.dropFirst()) { pieces.append((key, r0..<r1, (r1 - r0) * inputs)) }
        }
        var runs: [(key: Int, rows: Range<Int>)] = []
        var left = pieces.reduce(0) { $0 + $1.work }, i = 0
        while i < pieces.count {
            let limit = max(pieces[i].work, min(sliceBytes / 4, left / (2 * max(k, 1))))
            var end = i + 1, work = pieces[i].work
            while end < pieces.count, pieces[end].key == pieces[i].key, work + pieces[end].work <= limit {
                work += pieces[end].work
                end += 1
            }
            runs.append((pieces[i].key, pieces[i].rows.lowerBound..<pieces[end - 1].rows.upperBound))
            (left, i) = (left - work, end)
        }
        return runs
    }

    /// Whether plans like this one can work in a team (and so should share one gradient buffer).
    public static func canJoin(_ plan: any PlannedStep) -> Bool {
        guard let network = plan as? PlannedNetwork else { return false }
        return network.features.isEmpty && network.deconvolutions.isEmpty
    }

    deinit {
        passed.deinitialize(count: max(1, plans[0].dense.count))
        passed.deallocate()
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
        next.store(0, ordering: .relaxed)
        for i in 0..<plans[0].dense.count { passed[i].store(0, ordering: .relaxed) }
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

    /// Called by every member each time it has passed the gradient down through dense layer `key` (or, with no
    /// rows, reached it): what that layer's runs wait for.
    func passedDown(_ key: Int) { passed[key].add(1, ordering: .releasing) }

    /// Whether every member has passed the gradient down through dense layer `key` this step.
    @inline(__always) private func allPassed(_ key: Int) -> Bool {
        passed[key].load(ordering: .acquiring) >= plans.count
    }

    /// Waits until every member has passed the gradient down through dense layer `key` (polls, then yields the
    /// core: a member may have none of its own).
    private func awaitLayer(_ key: Int) {
        SpinWait.wait(threads: plans.count, polling: SpinBarrier.pollNanoseconds) { allPassed(key) }
    }

    /// Called by every member once it has passed the gradient down through every layer: takes runs from the queue
    /// until it is empty, and computes (and, unless a loss is not finite, updates) each. Of two members, one that
    /// finds the other still passing a run's layer down adds its own rows to that run, holds it, and takes the next:
    /// its own rows of two runs, not one, are added before it waits for the other's.
    func share(member w: Int) {
        var held = -1
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            guard i < runs.count else { break }
            if plans.count == 2, held < 0, plans[w].lastRows > 0, !allPassed(runs[i].key) {
                add(run: i, member: w, parts: 0..<1)
                held = i
                continue
            }
            add(run: i, member: w, parts: 0..<plans.count)
            if held >= 0 { add(run: held, member: w, parts: 1..<2) }
            held = -1
        }
        if held >= 0 { add(run: held, member: w, parts: 1..<2) }
    }

    /// The member whose rows come `j`-th in member `w`'s sums. Two members' sums are added in either order (a + b is
    /// b + a in IEEE arithmetic, bit for bit), so each adds its own rows first, before it waits for the other's;
    /// more members' sums are added in the one order processes add theirs.
    @inline(__always) private func member(_ j: Int, for w: Int) -> Int { plans.count == 2 ? (w + j) % 2 : j }

    /// Adds the rows of the `parts` members (the j-th is `member(j, for: w)`) to run `i`'s weight and bias gradients,
    /// the first rows of all overwriting them; after the last member's, updates the run unless a loss is not finite.
    /// Waits for the other members to pass the layer down before it reads their rows.
    private func add(run i: Int, member w: Int, parts: Range<Int>) {
        let key = runs[i].key, layer = plans[w].dense[key], k = plans.count
        let outputs = layer.outputs, inputs = layer.inputs, r0 = runs[i].rows.lowerBound, n = runs[i].rows.count
        let slice = layer.weightGrad + r0 * inputs, bias = layer.biasGrad + r0, sums = columnSums + w * widest
        var written = false
        for j in 0..<parts.lowerBound where plans[member(j, for: w)].lastRows > 0 { written = true }
        for j in parts {
            if j == (k == 2 ? 1 : 0) { awaitLayer(key) }
            let p = plans[member(j, for: w)]
            guard p.lastRows > 0 else { continue }
            BLAS.gemm(
                transposeA: true, transposeB: false, m: n, n: inputs, k: p.lastRows,
                p.dense[key].outputGrad.data + r0, lda: outputs, p.denseInputs[key], ldb: inputs,
                beta: written ? 1 : 0, slice, ldc: inputs)
            // Each member's rows summed on their own, then the sums added, as separate processes' gradients are (so
            // processes and threads train to the same weights).
            let g = p.dense[key].outputGrad.data + r0
            sumRows(g, rows: p.lastRows, columns: n, stride: outputs, into: written ? sums : bias)
            if written { VectorMath.add(sums, into: bias, n) }
            written = true
        }
        guard parts.upperBound == k else { return }
        if !written {
            slice.update(repeating: 0, count: n * inputs)
            bias.update(repeating: 0, count: n)
        }
        // Every member's loss is written before it passes a gradient down.
        guard let optimizer, losses.reduce(0, +).isFinite else { return }
        optimizer.update((slice - base)..<(slice - base + n * inputs))
        optimizer.update((bias - base)..<(bias - base + n))
    }
}
