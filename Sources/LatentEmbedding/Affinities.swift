import Foundation
import LatentTensor

/// t-SNE's input similarities P: for each point a Gaussian over its neighbours whose width gives the chosen
/// perplexity, symmetrised (p_ij = (p_j|i + p_i|j) / 2N) and stored as a sparse matrix (CSR) that sums to 1.
public struct Affinities: Sendable {
    /// Number of points.
    public let count: Int
    /// CSR row starts, count + 1 entries.
    public var rowStart: [Int]
    /// Column index of each stored entry.
    public var columns: [Int32]
    /// Value of each stored entry.
    public var values: [Float]

    /// Affinities from a neighbour graph. Each point's Gaussian precision is found by bisection so that the
    /// entropy of its conditional distribution is log(perplexity) (van der Maaten & Hinton 2008). A numeric
    /// kernel kept whole (llm.c style): bisection, normalisation and symmetrisation share its buffers.
    public init(neighbors graph: NeighborGraph, perplexity: Double, threads: Int = 1) {
        let n = graph.count, k = graph.k
        count = n
        var conditional = [Float](repeating: 0, count: n * k)
        let target = log(perplexity)
        conditional.withUnsafeMutableBufferPointer { out in
            let out = SendablePointer(out.baseAddress!)
            graph.squaredDistances.withUnsafeBufferPointer { dist in
                let dist = dist.baseAddress!
                let workers = max(1, min(threads, n))
                Parallel.forEach(workers) { w in
                    var p = [Double](repeating: 0, count: k)
                    var i = w
                    while i < n {
                        Self.conditional(dist + i * k, k: k, targetEntropy: target, into: &p)
                        for j in 0..<k { out.pointer[i * k + j] = Float(p[j]) }
                        i += workers
                    }
                }
            }
        }
        // Symmetrise: row i holds p_j|i for its own neighbours and p_i|j for every j that has i as a neighbour.
        var degree = [Int](repeating: k, count: n)
        for e in 0..<(n * k) { degree[Int(graph.indices[e])] += 1 }
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + degree[i] }
        var fill = Array(start[0..<n])
        var cols = [Int32](repeating: 0, count: start[n])
        var vals = [Float](repeating: 0, count: start[n])
        let scale = Float(1 / (2 * Double(n)))
        for i in 0..<n {
            for t in 0..<k {
                let j = Int(graph.indices[i * k + t]), v = conditional[i * k + t] * scale
                cols[fill[i]] = Int32(j)
                vals[fill[i]] = v
                fill[i] += 1
                cols[fill[j]] = Int32(i)
                vals[fill[j]] = v
                fill[j] += 1
            }
        }
        // Sort each row by column and merge the pairs that appear twice (mutual neighbours).
        var merged = [Int](repeating: 0, count: n)
        cols.withUnsafeMutableBufferPointer { c in
            vals.withUnsafeMutableBufferPointer { v in
                let c = SendablePointer(c.baseAddress!), v = SendablePointer(v.baseAddress!)
                merged.withUnsafeMutableBufferPointer { m in
                    let m = SendablePointer(m.baseAddress!)
                    let workers = max(1, min(threads, n))
                    Parallel.forEach(workers) { w in
                        var pairs: [(Int32, Float)] = []
                        var i = w
                        while i < n {
                            let s = start[i], e = start[i + 1]
                            pairs.removeAll(keepingCapacity: true)
                            for t in s..<e { pairs.append((c.pointer[t], v.pointer[t])) }
                            pairs.sort { $0.0 < $1.0 }
                            var out = s
                            for (col, val) in pairs {
                                if out > s && c.pointer[out - 1] == col {
                                    v.pointer[out - 1] += val
                                } else {
                                    c.pointer[out] = col
                                    v.pointer[out] = val
                                    out += 1
                                }
                            }
                            m.pointer[i] = out - s
                            i += workers
                        }
                    }
                }
            }
        }
        var compactStart = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { compactStart[i + 1] = compactStart[i] + merged[i] }
        var compactCols = [Int32](repeating: 0, count: compactStart[n])
        var compactVals = [Float](repeating: 0, count: compactStart[n])
        for i in 0..<n {
            for t in 0..<merged[i] {
                compactCols[compactStart[i] + t] = cols[start[i] + t]
                compactVals[compactStart[i] + t] = vals[start[i] + t]
            }
        }
        rowStart = compactStart
        columns = compactCols
        values = compactVals
    }

    /// p_j|i ∝ exp(−β d_ij) over one point's neighbours, with β bisected to the target entropy (nats).
    public static func conditional(_ d: UnsafePointer<Float>, k: Int, targetEntropy: Double, into p: inout [Double]) {
        let dMin = Double(d[0])
        var beta = 1.0, lo = 0.0, hi = Double.infinity
        for _ in 0..<200 {
            var sum = 0.0, weighted = 0.0
            for j in 0..<k {
                let dj = Double(d[j]) - dMin
                let e = exp(-beta * dj)
                p[j] = e
                sum += e
                weighted += dj * e
            }
            let entropy = log(sum) + beta * weighted / sum
            for j in 0..<k { p[j] /= sum }
            let gap = entropy - targetEntropy
            if abs(gap) < 1e-5 { break }
            if gap > 0 {  // too flat: sharpen
                lo = beta
                beta = hi.isInfinite ? beta * 2 : (beta + hi) / 2
            } else {
                hi = beta
                beta = (beta + lo) / 2
            }
        }
    }

    /// Σ p log p, the constant part of the KL divergence.
    public var negativeEntropy: Double {
        var s = 0.0
        for v in values where v > 0 { s += Double(v) * log(Double(v)) }
        return s
    }
}
