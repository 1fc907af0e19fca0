import CBLAS
import CKernels
import LatentTensor

/// The k nearest neighbours of every row of a data matrix (the row itself excluded), nearest first: the
/// input graph of t-SNE's affinities and of k-NN accuracy.
public struct NeighborGraph: Sendable {
    /// Points in the graph.
    public let count: Int
    /// Neighbours per point.
    public let k: Int
    /// Neighbour indices, [count, k] row-major, nearest first.
    public var indices: [Int32]
    /// Squared Euclidean distances matching `indices`.
    public var squaredDistances: [Float]

    /// Exact neighbours of the rows of `data` ([n, d]) by brute force: distances come from blocked GEMMs
    /// (‖a‖² + ‖b‖² − 2a·b), each row scanned (AVX2, 32 columns at a time) for the few candidates that
    /// beat the current k-th distance; only those touch the heap. Runs on `threads` threads with
    /// single-threaded BLAS.
    /// A numeric kernel kept whole: the blocks, the scan and the heaps share per-thread buffers.
    public init(exact data: Tensor, k: Int, threads: Int = 1) {
        precondition(data.shape.rank == 2, "neighbours need a [points, features] matrix")
        let n = data.shape[0], d = data.shape[1]
        precondition(k >= 1 && k < n, "k must be in 1..<points")
        count = n
        self.k = k
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var s: Float = 0
            let row = data.data + i * d
            for j in 0..<d { s += row[j] * row[j] }
            norms[i] = s
        }
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        let rowBlock = 128, columnBlock = 4096
        let blocks = (n + rowBlock - 1) / rowBlock
        let workers = max(1, min(threads, blocks))
        let previousThreads = BLAS.threads
        if workers > 1 { BLAS.setThreads(1) }
        defer { if workers > 1 { BLAS.setThreads(previousThreads) } }
        indices.withUnsafeMutableBufferPointer { outIdx in
            distances.withUnsafeMutableBufferPointer { outDist in
                norms.withUnsafeBufferPointer { norms in
                    let outIdx = SendablePointer(outIdx.baseAddress!), outDist = SendablePointer(outDist.baseAddress!)
                    Parallel.forEach(workers) { w in
                        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: rowBlock * columnBlock)
                        defer { buffer.deallocate() }
                        var heaps = [KBest](repeating: KBest(k: k), count: rowBlock)
                        var b = w
                        while b < blocks {
                            let r0 = b * rowBlock, rows = min(rowBlock, n - r0)
                            for r in 0..<rows { heaps[r].reset() }
                            var c0 = 0
                            while c0 < n {
                                let cols = min(columnBlock, n - c0)
                                cblas_sgemm(
                                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), -2,
                                    data.data + r0 * d, Int32(d), data.data + c0 * d, Int32(d), 0, buffer, Int32(cols))
                                for r in 0..<rows {
                                    let i = r0 + r
                                    Self.scan(
                                        buffer + r * cols, count: cols, columnNorms: norms.baseAddress! + c0,
                                        rowNorm: norms[i],
                                        firstColumn: c0, skip: i, into: &heaps[r])
                                }
                                c0 += cols
                            }
                            for r in 0..<rows {
                                heaps[r].sorted(
                                    indices: outIdx.pointer + (r0 + r) * k, distances: outDist.pointer + (r0 + r) * k)
                            }
                            b += workers
                        }
                    }
                }
            }
        }
        self.indices = indices
        self.squaredDistances = distances
    }

    /// Offers the columns of one distance row (−2a·b, before adding the norms) that beat the heap's bound.
    @inline(__always)
    static func scan(
        _ row: UnsafePointer<Float>, count: Int, columnNorms: UnsafePointer<Float>, rowNorm: Float,
        firstColumn: Int, skip: Int, into heap: inout KBest
    ) {
        var j = 0
        while j < count {
            j += latent_first_sum_below(row + j, columnNorms + j, count - j, heap.bound - rowNorm)
            if j >= count { break }
            if firstColumn + j != skip { heap.offer(max(row[j] + columnNorms[j] + rowNorm, 0), Int32(firstColumn + j)) }
            j += 1
        }
    }
}

/// The k smallest (distance, index) pairs seen so far: a max-heap on the distance.
struct KBest {
    var distances: [Float]
    var indices: [Int32]
    var size = 0
    let k: Int

    init(k: Int) {
        self.k = k
        distances = [Float](repeating: .infinity, count: k)
        indices = [Int32](repeating: -1, count: k)
    }

    mutating func reset() {
        size = 0
        for i in 0..<k { distances[i] = .infinity }
    }

    /// The distance a newcomer must beat.
    var bound: Float { size < k ? .infinity : distances[0] }

    mutating func offer(_ distance: Float, _ index: Int32) {
        if size < k {
            var i = size
            size += 1
            while i > 0 {
                let parent = (i - 1) / 2
                if distances[parent] >= distance { break }
                distances[i] = distances[parent]
                indices[i] = indices[parent]
                i = parent
            }
            distances[i] = distance
            indices[i] = index
            return
        }
        guard distance < distances[0] else { return }
        var i = 0
        while true {
            let l = 2 * i + 1
            if l >= k { break }
            var c = l
            if l + 1 < k && distances[l + 1] > distances[l] { c = l + 1 }
            if distances[c] <= distance { break }
            distances[i] = distances[c]
            indices[i] = indices[c]
            i = c
        }
        distances[i] = distance
        indices[i] = index
    }

    /// Writes the pairs nearest first.
    func sorted(indices out: UnsafeMutablePointer<Int32>, distances outD: UnsafeMutablePointer<Float>) {
        let order = (0..<size).sorted { (distances[$0], indices[$0]) < (distances[$1], indices[$1]) }
        for (t, s) in order.enumerated() {
            out[t] = indices[s]
            outD[t] = distances[s]
        }
    }
}
