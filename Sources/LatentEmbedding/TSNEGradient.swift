import Foundation
import LatentTensor

/// The gradient of t-SNE's objective KL(P ‖ Q) for a 2-D embedding, split as the implementations split it:
///
///     ∂C/∂y_i / 4 = α Σ_j p_ij w_ij (y_i − y_j)  −  (1/Z) Σ_j w_ij² (y_i − y_j),
///     w_ij = 1 / (1 + ‖y_i − y_j‖²)
///
/// with Z = Σ_{i≠j} w_ij and α the exaggeration. The first (attractive) sum runs over the sparse P; the
/// second (repulsive) sum over all pairs is computed exactly, by Barnes-Hut or by FFT interpolation. Like
/// openTSNE, the gradient is returned without the factor 4 (the learning rate absorbs it).
public enum TSNEGradient {
    /// Adds α Σ_j p_ij w_ij (y_i − y_j) to `grad` ([n, 2]); returns Σ p_ij log w_ij when `measure` is set
    /// (for the KL divergence), else 0.
    static func attractive(
        _ p: Affinities, y: UnsafePointer<Float>, exaggeration: Float,
        into grad: UnsafeMutablePointer<Float>, measure: Bool, threads: Int
    ) -> Double {
        let n = p.count
        let workers = max(1, min(threads, n / 256 + 1))
        var partial = [Double](repeating: 0, count: workers)
        p.rowStart.withUnsafeBufferPointer { start in
            p.columns.withUnsafeBufferPointer { cols in
                p.values.withUnsafeBufferPointer { vals in
                    partial.withUnsafeMutableBufferPointer { partial in
                        let g = SendablePointer(grad), part = SendablePointer(partial.baseAddress!)
                        let y = SendablePointer(UnsafeMutablePointer(mutating: y))
                        Parallel.forEach(workers) { w in
                            let lo = n * w / workers, hi = n * (w + 1) / workers
                            var logSum = 0.0
                            for i in lo..<hi {
                                let xi = y.pointer[2 * i], yi = y.pointer[2 * i + 1]
                                var fx: Float = 0, fy: Float = 0
                                for e in start[i]..<start[i + 1] {
                                    let j = Int(cols[e])
                                    let dx = xi - y.pointer[2 * j], dy = yi - y.pointer[2 * j + 1]
                                    let q = 1 / (1 + dx * dx + dy * dy)
                                    let pq = vals[e] * q
                                    fx += pq * dx
                                    fy += pq * dy
                                    if measure { logSum += Double(vals[e]) * log(Double(q)) }
                                }
                                g.pointer[2 * i] += exaggeration * fx
                                g.pointer[2 * i + 1] += exaggeration * fy
                            }
                            part.pointer[w] = logSum
                        }
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// Exact repulsion: writes Σ_j w_ij² (y_i − y_j) into `forces` ([n, 2]) and returns Z. O(n²).
    static func exactRepulsion(
        y: UnsafePointer<Float>, count n: Int, into forces: UnsafeMutablePointer<Float>, threads: Int
    ) -> Double {
        let workers = max(1, min(threads, n / 64 + 1))
        var partial = [Double](repeating: 0, count: workers)
        partial.withUnsafeMutableBufferPointer { partial in
            let f = SendablePointer(forces), part = SendablePointer(partial.baseAddress!)
            let y = SendablePointer(UnsafeMutablePointer(mutating: y))
            Parallel.forEach(workers) { w in
                var z = 0.0
                var i = w
                while i < n {
                    let xi = y.pointer[2 * i], yi = y.pointer[2 * i + 1]
                    var fx = 0.0, fy = 0.0
                    for j in 0..<n where j != i {
                        let dx = Double(xi - y.pointer[2 * j]), dy = Double(yi - y.pointer[2 * j + 1])
                        let q = 1 / (1 + dx * dx + dy * dy)
                        z += q
                        fx += q * q * dx
                        fy += q * q * dy
                    }
                    f.pointer[2 * i] = Float(fx)
                    f.pointer[2 * i + 1] = Float(fy)
                    i += workers
                }
                part.pointer[w] = z
            }
        }
        return partial.reduce(0, +)
    }

    /// The KL divergence KL(P ‖ Q) of an embedding, computed exactly (O(n²)); for tests and small inputs.
    public static func exactKL(_ p: Affinities, embedding y: [Float]) -> Double {
        let n = p.count
        var z = 0.0
        for i in 0..<n {
            for j in 0..<n where j != i {
                let dx = Double(y[2 * i] - y[2 * j]), dy = Double(y[2 * i + 1] - y[2 * j + 1])
                z += 1 / (1 + dx * dx + dy * dy)
            }
        }
        var kl = 0.0
        for i in 0..<n {
            for e in p.rowStart[i]..<p.rowStart[i + 1] where p.values[e] > 0 {
                let j = Int(p.columns[e])
                let dx = Double(y[2 * i] - y[2 * j]), dy = Double(y[2 * i + 1] - y[2 * j + 1])
                let q = 1 / (1 + dx * dx + dy * dy) / z
                kl += Double(p.values[e]) * log(Double(p.values[e]) / q)
            }
        }
        return kl
    }
}
