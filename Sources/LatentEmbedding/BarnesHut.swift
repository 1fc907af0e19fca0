import Foundation
import LatentTensor

/// Barnes-Hut repulsion for 2-D t-SNE (van der Maaten 2014): a quadtree over the embedding; a cell far
/// enough from a point (side / distance < θ) acts as one body at its centre of mass. θ = 0 is exact.
/// The tree's arrays are kept between iterations, so a step allocates nothing once they have grown.
final class BarnesHutRepulsion {
    let theta: Float
    /// Points per leaf; a leaf is always visited point by point unless the θ test summarises it.
    static let leafSize = 8

    // Nodes, structure of arrays.
    private var massX: [Float] = [], massY: [Float] = [], count: [Int32] = []
    private var cornerX: [Float] = [], cornerY: [Float] = [], side: [Float] = []
    private var firstChild: [Int32] = [], pointStart: [Int32] = [], pointEnd: [Int32] = []
    private var nodes = 0
    private var order: [Int32] = []

    init(theta: Float) { self.theta = theta }

    /// Writes Σ_j w_ij² (y_i − y_j) into `forces` and returns Z. A numeric kernel kept whole: the quadtree
    /// build and its traversal share one node array.
    func repulsion(
        y: UnsafePointer<Float>, count n: Int, into forces: UnsafeMutablePointer<Float>, threads: Int
    ) -> Double {
        build(y, n)
        let workers = max(1, min(threads, n / 256 + 1))
        var partial = [Double](repeating: 0, count: workers)
        let theta2 = theta * theta
        massX.withUnsafeBufferPointer { mx in
            massY.withUnsafeBufferPointer { my in
                count.withUnsafeBufferPointer { cnt in
                    cornerX.withUnsafeBufferPointer { cxp in
                        cornerY.withUnsafeBufferPointer { cyp in
                            side.withUnsafeBufferPointer { sd in
                                firstChild.withUnsafeBufferPointer { fc in
                                    pointStart.withUnsafeBufferPointer { ps in
                                        pointEnd.withUnsafeBufferPointer { pe in
                                            order.withUnsafeBufferPointer { ord in
                                                partial.withUnsafeMutableBufferPointer { partial in
                                                    let f = SendablePointer(forces),
                                                        part = SendablePointer(partial.baseAddress!)
                                                    let y = SendablePointer(UnsafeMutablePointer(mutating: y))
                                                    Parallel.forEach(workers) { w in
                                                        var stack = [Int32](repeating: 0, count: 4096)
                                                        var z = 0.0
                                                        let lo = n * w / workers, hi = n * (w + 1) / workers
                                                        for i in lo..<hi {
                                                            let xi = y.pointer[2 * i], yi = y.pointer[2 * i + 1]
                                                            var fx: Float = 0, fy: Float = 0, zi: Float = 0
                                                            var top = 1
                                                            stack[0] = 0
                                                            while top > 0 {
                                                                top -= 1
                                                                let node = Int(stack[top])
                                                                let c = cnt[node]
                                                                if c == 0 { continue }
                                                                let dx = xi - mx[node], dy = yi - my[node]
                                                                let d2 = dx * dx + dy * dy
                                                                let s = sd[node]
                                                                let inside =
                                                                    xi >= cxp[node] && xi <= cxp[node] + s
                                                                    && yi >= cyp[node] && yi <= cyp[node] + s
                                                                if !inside && s * s < theta2 * d2 {
                                                                    let q = 1 / (1 + d2), m = Float(c)
                                                                    zi += m * q
                                                                    fx += m * q * q * dx
                                                                    fy += m * q * q * dy
                                                                } else if fc[node] < 0 {
                                                                    for t in Int(ps[node])..<Int(pe[node]) {
                                                                        let j = Int(ord[t])
                                                                        if j == i { continue }
                                                                        let ex = xi - y.pointer[2 * j],
                                                                            ey = yi - y.pointer[2 * j + 1]
                                                                        let q = 1 / (1 + ex * ex + ey * ey)
                                                                        zi += q
                                                                        fx += q * q * ex
                                                                        fy += q * q * ey
                                                                    }
                                                                } else {
                                                                    let first = fc[node]
                                                                    if top + 4 > stack.count {
                                                                        stack.append(
                                                                            contentsOf: repeatElement(
                                                                                0, count: stack.count))
                                                                    }
                                                                    for ch in 0..<Int32(4) {
                                                                        stack[top] = first + ch
                                                                        top += 1
                                                                    }
                                                                }
                                                            }
                                                            f.pointer[2 * i] = fx
                                                            f.pointer[2 * i + 1] = fy
                                                            z += Double(zi)
                                                        }
                                                        part.pointer[w] = z
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// Builds the quadtree: the points' permutation is partitioned in place into quadrants, depth first.
    private func build(_ y: UnsafePointer<Float>, _ n: Int) {
        if order.count != n { order = (0..<Int32(n)).map { $0 } }
        var minX = Float.infinity, minY = Float.infinity, maxX = -Float.infinity, maxY = -Float.infinity
        for i in 0..<n {
            minX = min(minX, y[2 * i])
            maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1])
            maxY = max(maxY, y[2 * i + 1])
        }
        let s = max(maxX - minX, maxY - minY) * (1 + 1e-5) + 1e-12
        nodes = 0
        let root = newNode()
        split(root, y, 0, n, minX, minY, s, depth: 0)
    }

    private func newNode() -> Int {
        if nodes == massX.count {
            let grow = max(1024, nodes)
            for a in [\BarnesHutRepulsion.massX, \.massY, \.cornerX, \.cornerY, \.side]
                as [ReferenceWritableKeyPath<BarnesHutRepulsion, [Float]>]
            {
                self[keyPath: a].append(contentsOf: repeatElement(0, count: grow))
            }
            for a in [\BarnesHutRepulsion.count, \.firstChild, \.pointStart, \.pointEnd]
                as [ReferenceWritableKeyPath<BarnesHutRepulsion, [Int32]>]
            {
                self[keyPath: a].append(contentsOf: repeatElement(0, count: grow))
            }
        }
        nodes += 1
        return nodes - 1
    }

    private func split(
        _ node: Int, _ y: UnsafePointer<Float>, _ lo: Int, _ hi: Int, _ x0: Float, _ y0: Float, _ s: Float, depth: Int
    ) {
        var sx: Float = 0, sy: Float = 0
        for t in lo..<hi {
            let j = Int(order[t])
            sx += y[2 * j]
            sy += y[2 * j + 1]
        }
        let m = Float(max(hi - lo, 1))
        massX[node] = sx / m
        massY[node] = sy / m
        count[node] = Int32(hi - lo)
        cornerX[node] = x0
        cornerY[node] = y0
        side[node] = s
        pointStart[node] = Int32(lo)
        pointEnd[node] = Int32(hi)
        firstChild[node] = -1
        if hi - lo <= Self.leafSize || depth >= 48 { return }
        let h = s / 2, midX = x0 + h, midY = y0 + h
        // Partition by x, then each half by y: quadrants (left-bottom, left-top, right-bottom, right-top).
        let xSplit = partition(lo, hi) { y[2 * $0] < midX }
        let leftSplit = partition(lo, xSplit) { y[2 * $0 + 1] < midY }
        let rightSplit = partition(xSplit, hi) { y[2 * $0 + 1] < midY }
        let first = newNode()
        _ = newNode()
        _ = newNode()
        _ = newNode()
        firstChild[node] = Int32(first)
        split(first, y, lo, leftSplit, x0, y0, h, depth: depth + 1)
        split(first + 1, y, leftSplit, xSplit, x0, midY, h, depth: depth + 1)
        split(first + 2, y, xSplit, rightSplit, midX, y0, h, depth: depth + 1)
        split(first + 3, y, rightSplit, hi, midX, midY, h, depth: depth + 1)
    }

    /// Moves the points of order[lo..<hi] that satisfy `isLow` to the front; returns where the rest begin.
    @inline(__always)
    private func partition(_ lo: Int, _ hi: Int, _ isLow: (Int) -> Bool) -> Int {
        var i = lo, j = hi - 1
        while true {
            while i <= j && isLow(Int(order[i])) { i += 1 }
            while i <= j && !isLow(Int(order[j])) { j -= 1 }
            if i >= j { return i }
            order.swapAt(i, j)
            i += 1
            j -= 1
        }
    }
}
