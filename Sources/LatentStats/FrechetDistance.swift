import CBLAS
import CLAPACKE
import LatentTensor

/// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (mean,
/// covariance): ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½) (Heusel et al. 2017: FID is this
/// on Inception features; Latent uses it on its own classifier's features). Computed in Double; the trace
/// of the square root as the sum of the square roots of the eigenvalues of Σ₁^½ Σ₂ Σ₁^½ (symmetric, so
/// LAPACK's `dsyev` serves both roots).
public enum FrechetDistance {
    /// The distance between the rows of `a` [n, d] and of `b` [m, d] (n, m ≥ 2). Throws if the widths differ.
    public static func between(_ a: Tensor, _ b: Tensor) throws -> Double {
        guard a.shape.rank == 2, b.shape.rank == 2, a.shape[1] == b.shape[1], a.shape[0] >= 2, b.shape[0] >= 2 else {
            throw LatentError(.statistics, "Fréchet distance: expected two sets of ≥ 2 rows of one width")
        }
        let d = a.shape[1]
        let (m1, s1) = moments(a), (m2, s2) = moments(b)
        var total = 0.0
        for j in 0..<d { total += (m1[j] - m2[j]) * (m1[j] - m2[j]) + s1[j * d + j] + s2[j * d + j] }
        let (values1, vectors1) = try eigen(s1, d)
        // Σ₁^½ = V diag(√λ) Vᵀ (negative round-off eigenvalues clamped to 0).
        var scaled = vectors1
        for i in 0..<d { for k in 0..<d { scaled[i * d + k] *= max(0, values1[k]).squareRoot() } }
        var root = [Double](repeating: 0, count: d * d)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(d), Int32(d), Int32(d), 1, scaled, Int32(d), vectors1,
            Int32(d), 0, &root, Int32(d))
        let product = multiply(multiply(root, s2, d), root, d)
        let (values, _) = try eigen(product, d)
        total -= 2 * values.reduce(0) { $0 + max(0, $1).squareRoot() }
        return max(0, total)
    }

    /// Mean and (unbiased) covariance of the rows, row-major d × d (the centred rows' Gram matrix by `dsyrk`).
    static func moments(_ x: Tensor) -> (mean: [Double], covariance: [Double]) {
        let n = x.shape[0], d = x.shape[1]
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x.data[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = [Double](repeating: 0, count: n * d), cov = [Double](repeating: 0, count: d * d)
        for i in 0..<n { for j in 0..<d { centred[i * d + j] = Double(x.data[i * d + j]) - mean[j] } }
        cblas_dsyrk(
            CblasRowMajor, CblasLower, CblasTrans, Int32(d), Int32(n), 1 / Double(n - 1), centred, Int32(d), 0, &cov,
            Int32(d))
        for j in 0..<d { for k in 0..<j { cov[k * d + j] = cov[j * d + k] } }
        return (mean, cov)
    }

    static func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(d), Int32(d), 1, a, Int32(d), b, Int32(d), 0, &c,
            Int32(d))
        return c
    }

    /// Eigenvalues and eigenvectors (columns, row-major) of the symmetric d × d matrix `m`.
    static func eigen(_ m: [Double], _ d: Int) throws -> (values: [Double], vectors: [Double]) {
        var a = m, w = [Double](repeating: 0, count: d)
        let info = LAPACKE_dsyev(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(d), &a, Int32(d), &w)
        guard info == 0 else { throw LatentError(.statistics, "Fréchet distance: LAPACK dsyev failed (info \(info))") }
        return (w, a)
    }
}
