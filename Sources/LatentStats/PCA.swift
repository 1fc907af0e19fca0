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
        let cov = Tensor(uninitialized: [f, f])
        Tensor.gemm(centered, transposeA: true, centered, into: cov, alpha: 1 / Float(n - 1))
        var eigenvalues = [Float](repeating: 0, count: f)
        let info = LAPACKE_ssyevd(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
            Int32(f), cov.data, Int32(f), &eigenvalues)
        guard info == 0 else { throw LatentError(.statistics, "LAPACK ssyevd failed (info \(info))") }
        // Eigenvalues ascend; eigenvector j is column j of `cov`.
        let comps = Tensor(uninitialized: [k, f])
        for c in 0..<k {
            let j = f - 1 - c
            for i in 0..<f { comps.data[c * f + i] = cov.data[i * f + j] }
        }
        components = comps
        explainedVariance = (0..<k).map { eigenvalues[f - 1 - $0] }
    }

    /// Codes [n, components] of rows [n, features].
    public func transform(_ x: Tensor) -> Tensor { Tensor.matmul(x - mean, components, transposeB: true) }

    /// Rows [n, features] back from codes.
    public func inverseTransform(_ codes: Tensor) -> Tensor { Tensor.matmul(codes, components) + mean }

    /// Squared reconstruction error through the components, summed over features and averaged over the rows
    /// of `x` (`test_mse` in the README's tables).
    public func meanSquaredError(_ x: Tensor) -> Double {
        let r = inverseTransform(transform(x)), f = x.shape[1], n = x.shape[0]
        var total = 0.0
        for i in 0..<(n * f) { total += Double(r.data[i] - x.data[i]) * Double(r.data[i] - x.data[i]) }
        return total / Double(max(n, 1))
    }
}
