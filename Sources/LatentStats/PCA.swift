import CLAPACKE
import LatentTensor

/// Principal component analysis: the eigenvectors of the data's covariance (LAPACK's symmetric
/// eigensolver), the linear baseline every autoencoder is measured against.
public struct PCA {
    /// Feature means [features].
    public let mean: Tensor
    /// Principal directions as rows, largest variance first: [components, features].
    public let components: Tensor
    /// Variance along each component.
    public let explainedVariance: [Float]

    /// Fits `components` directions to the rows of `data` ([n, features]).
    public init(fitting data: Tensor, components k: Int) throws {
        let n = data.shape[0], f = data.shape[1]
        guard k >= 1 && k <= f else {
            throw LatentError(.statistics, field: "components", "expected 1…\(f), got \(k)")
        }
        guard n >= 2 else { throw LatentError(.statistics, "PCA needs at least 2 examples, got \(n)") }
        mean = data.sumRows().scaled(by: 1 / Float(n))
        let centered = data - mean
        // The top k eigenvectors of the smaller Gram matrix: the covariance [f, f] when there are more examples
        // than features, else the examples' [n, n], whose eigenvectors u give the directions Xᵀu / ‖Xᵀu‖.
        let byExamples = n < f, small = byExamples ? n : f
        // Beyond n directions the data has no variance: those components are zero rows.
        let found = min(k, small)
        let gram = Tensor(uninitialized: [small, small])
        if byExamples {
            Tensor.gemm(centered, centered, transposeB: true, into: gram, alpha: 1 / Float(n - 1))
        } else {
            Tensor.gemm(centered, transposeA: true, centered, into: gram, alpha: 1 / Float(n - 1))
        }
        let (values, vectors) = try Self.topEigenvectors(gram, found)  // [small, found], ascending values
        let comps = Tensor(zeros: [k, f])
        if byExamples {
            let directions = Tensor.matmul(centered, transposeA: true, vectors)  // [f, found]
            for c in 0..<found {
                var norm: Float = 0
                for i in 0..<f { norm += directions.data[i * found + c] * directions.data[i * found + c] }
                let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                for i in 0..<f { comps.data[(found - 1 - c) * f + i] = directions.data[i * found + c] * scale }
            }
        } else {
            for c in 0..<found {
                for i in 0..<f { comps.data[(found - 1 - c) * f + i] = vectors.data[i * found + c] }
            }
        }
        components = comps
        explainedVariance = values.reversed() + Array(repeating: 0, count: k - found)
    }

    /// The k largest eigenvalues (ascending) and their eigenvectors as the columns of [n, k], of a symmetric
    /// [n, n] matrix (LAPACK's ssyevr, which computes only those: the cost is the reduction to tridiagonal form).
    private static func topEigenvectors(_ a: Tensor, _ k: Int) throws -> ([Float], Tensor) {
        let n = a.shape[0]
        var found: Int32 = 0
        var values = [Float](repeating: 0, count: n)
        let vectors = Tensor(uninitialized: [n, k])
        var support = [Int32](repeating: 0, count: 2 * k)
        let info = LAPACKE_ssyevr(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), CChar(UInt8(ascii: "U")),
            Int32(n), a.data, Int32(n), 0, 0, Int32(n - k + 1), Int32(n), 0, &found, &values, vectors.data,
            Int32(k), &support)
        guard info == 0, found == Int32(k) else {
            throw LatentError(.statistics, "LAPACK ssyevr failed (info \(info), \(found) of \(k) eigenvectors)")
        }
        return (Array(values.prefix(k)), vectors)
    }

    /// Codes [n, components] of rows [n, features].
    public func transform(_ x: Tensor) -> Tensor { Tensor.matmul(x - mean, components, transposeB: true) }

    /// Rows [n, features] back from codes.
    public func inverseTransform(_ codes: Tensor) -> Tensor { Tensor.matmul(codes, components) + mean }

    /// Squared reconstruction error through the components, summed over features and averaged over the rows
    /// of `x` (`test_mse` in docs/results.md's tables).
    public func meanSquaredError(_ x: Tensor) -> Double {
        let r = inverseTransform(transform(x)), f = x.shape[1], n = x.shape[0]
        var total = 0.0
        for i in 0..<(n * f) { total += Double(r.data[i] - x.data[i]) * Double(r.data[i] - x.data[i]) }
        return total / Double(max(n, 1))
    }
}
