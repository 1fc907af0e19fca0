import LatentTensor

/// A kernel of the maximum mean discrepancy between codes of d dimensions, as Pythae defines them: with
/// C = 2·d·h² for bandwidth h, the inverse multiquadric Σ_s C·s / (C·s + ‖a − b‖²) over scales s, or the
/// RBF exp(−‖a − b‖² / C).
public enum MMDKernel: Codable, Equatable, Sendable {
    /// Inverse multiquadric, summed over `scales` (Pythae's WAE and InfoVAE default).
    case imq(bandwidth: Float, scales: [Float])
    /// Radial basis function.
    case rbf(bandwidth: Float)

    /// Pythae's default scales of the inverse multiquadric.
    public static let pythaeScales: [Float] = [0.1, 0.2, 0.5, 1, 2, 5, 10]

    /// The kernel's bandwidth h.
    public var bandwidth: Float {
        switch self {
        case .imq(let h, _), .rbf(let h): h
        }
    }

    /// k(r²) and dk/d(r²) at squared distance r², with C = 2·d·h².
    @inline(__always) func value(_ r2: Float, base c: Float, scales: [Float]) -> (Float, Float) {
        switch self {
        case .rbf:
            let k = VectorMath.exp(-r2 / c)
            return (k, -k / c)
        case .imq:
            var k: Float = 0, dk: Float = 0
            for s in scales {
                let cs = c * s, q = 1 / (cs + r2)
                k += cs * q
                dk -= cs * q * q
            }
            return (k, dk)
        }
    }
}

extension Variable {
    /// The maximum mean discrepancy between the batch's codes z [n, d] and as many prior draws p [n, d], as
    /// Pythae estimates it: Σ_{i≠j} k(z_i, z_j)/(n(n−1)) + Σ_{i≠j} k(p_i, p_j)/(n(n−1))
    /// − 2 Σ_{i,j} k(z_i, p_j)/n² (a batch of one has no pairs i ≠ j: those sums are 0). The gradient flows
    /// into z.
    public static func maximumMeanDiscrepancy(_ z: Variable, prior p: Tensor, kernel: MMDKernel) -> Variable {
        let n = z.shape[0], d = z.shape[1]
        precondition(z.shape.rank == 2 && p.shape == z.shape, "MMD: codes \(z.shape), prior \(p.shape)")
        let c = 2 * Float(d) * kernel.bandwidth * kernel.bandwidth
        let scales: [Float] = if case .imq(_, let s) = kernel { s } else { [] }
        let zs = z.value.data, ps = p.data
        let within = n > 1 ? 1 / (Double(n) * Double(n - 1)) : 0, across = 1 / (Double(n) * Double(n))
        func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
            var r2: Float = 0
            for k in 0..<d { r2 += (a[k] - b[k]) * (a[k] - b[k]) }
            return r2
        }
        // The three sums, and dk/d(r²) of each pair involving z (for the pullback).
        var zz = 0.0, pp = 0.0, zp = 0.0
        var slopeZZ = [Float](repeating: 0, count: n * n), slopeZP = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                if i != j {
                    let (k, dk) = kernel.value(squaredDistance(zs + i * d, zs + j * d), base: c, scales: scales)
                    zz += Double(k)
                    slopeZZ[i * n + j] = dk
                    pp += Double(kernel.value(squaredDistance(ps + i * d, ps + j * d), base: c, scales: scales).0)
                }
                let (k, dk) = kernel.value(squaredDistance(zs + i * d, ps + j * d), base: c, scales: scales)
                zp += Double(k)
                slopeZP[i * n + j] = dk
            }
        }
        let mmd = (zz + pp) * within - 2 * zp * across
        return Variable(Tensor(scalar: Float(mmd)), parents: [z]) { [p] g in
            // The prior draws are held here: their buffer must outlive the forward pass.
            let ps = p.data
            // ∂/∂z_i: 2·Σ_{j≠i} k'·2(z_i − z_j)/(n(n−1)) − 2·Σ_j k'·2(z_i − p_j)/n².
            let gz = Tensor(zeros: z.shape)
            let a = Float(4 * within) * g.scalar, b = Float(-4 * across) * g.scalar
            for i in 0..<n {
                let out = gz.data + i * d
                for j in 0..<n {
                    let sz = a * slopeZZ[i * n + j], sp = b * slopeZP[i * n + j]
                    for k in 0..<d {
                        out[k] += sz * (zs[i * d + k] - zs[j * d + k]) + sp * (zs[i * d + k] - ps[j * d + k])
                    }
                }
            }
            z.accumulate(gz)
        }
    }
}
