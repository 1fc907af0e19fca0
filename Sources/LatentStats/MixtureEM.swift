import CBLAS
import CLAPACKE
import Foundation
import LatentTensor

/// The EM iterations of `GaussianMixture.fit`, on the points as one row-major n × d block of Doubles so that the
/// heavy parts are BLAS calls: each component's Mahalanobis distances by one GEMM of the points with its inverse
/// Cholesky factor, the means by `dgemv`, the covariances by `dsyrk` of the centred points weighted by
/// √responsibility.
struct MixtureEM {
    let x: [Double], n: Int, k: Int, d: Int, covariance: GaussianMixture.Covariance
    var weights: [Double] = [], means: [[Double]] = [], covariances: [[Double]] = []
    /// Responsibilities, k rows of n; a scratch n × d block; log-densities per point and component.
    private var r: [[Double]], work: [Double], logp: [Double]

    init(x: [Double], n: Int, k: Int, d: Int, covariance: GaussianMixture.Covariance) {
        (self.x, self.n, self.k, self.d, self.covariance) = (x, n, k, d, covariance)
        r = Array(repeating: Array(repeating: 0, count: n), count: k)
        work = Array(repeating: 0, count: n * d)
        logp = Array(repeating: 0, count: n * k)
    }

    /// k-means++ centres; every component starts with the data's covariance and equal weight.
    mutating func start(_ rng: inout RandomGenerator) {
        func row(_ i: Int) -> [Double] { Array(x[(i * d)..<((i + 1) * d)]) }
        func distance(_ i: Int, _ m: [Double]) -> Double {
            var s = 0.0
            for j in 0..<d { s += (x[i * d + j] - m[j]) * (x[i * d + j] - m[j]) }
            return s
        }
        means = [row(Int(rng.next() % UInt64(n)))]
        var nearest = (0..<n).map { distance($0, means[0]) }
        while means.count < k {
            let total = nearest.reduce(0, +)
            var u = Double(rng.uniform()) * total, pick = n - 1
            for i in 0..<n {
                u -= nearest[i]
                if u < 0 {
                    pick = i
                    break
                }
            }
            means.append(row(pick))
            for i in 0..<n { nearest[i] = min(nearest[i], distance(i, means[means.count - 1])) }
        }
        weights = Array(repeating: 1 / Double(k), count: k)
        let all = [Double](repeating: 1, count: n)
        let m = mean(all)
        covariances = Array(repeating: scatter(all, mean: m), count: k)
    }

    /// The responsibility-weighted mean of the points.
    func mean(_ weights: [Double]) -> [Double] {
        var m = [Double](repeating: 0, count: d)
        cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(d), 1, x, Int32(d), weights, 1, 0, &m, 1)
        let total = max(weights.reduce(0, +), 1e-300)
        return m.map { $0 / total }
    }

    /// The responsibility-weighted covariance about `m`, plus 1e-6 on the diagonal (scikit-learn's reg_covar).
    mutating func scatter(_ weights: [Double], mean m: [Double]) -> [Double] {
        let total = max(weights.reduce(0, +), 1e-300)
        for i in 0..<n {
            let w = weights[i].squareRoot()
            for j in 0..<d { work[i * d + j] = w * (x[i * d + j] - m[j]) }
        }
        guard covariance == .full else {
            return (0..<d).map { j in (0..<n).reduce(0.0) { $0 + work[$1 * d + j] * work[$1 * d + j] } / total + 1e-6 }
        }
        var s = [Double](repeating: 0, count: d * d)
        cblas_dsyrk(
            CblasRowMajor, CblasLower, CblasTrans, Int32(d), Int32(n), 1 / total, work, Int32(d), 0, &s, Int32(d))
        for a in 0..<d {
            for b in 0..<a { s[b * d + a] = s[a * d + b] }
            s[a * d + a] += 1e-6
        }
        return s
    }

    /// log N(x_i | component c) + log weight, for every point, into logp[i·k + c].
    mutating func logDensities(_ c: Int, factor: [Double]) {
        let logDet =
            covariance == .full
            ? (0..<d).reduce(0.0) { $0 + 2 * log(factor[$1 * d + $1]) }
            : (0..<d).reduce(0.0) { $0 + log(covariances[c][$1]) }
        let logNorm = log(weights[c]) - 0.5 * (Double(d) * log(2 * Double.pi) + logDet)
        let m = means[c]
        if covariance == .full {
            // L⁻¹(x − μ) = L⁻¹x − L⁻¹μ for every point at once: one GEMM of the points with L⁻ᵀ
            // (LAPACK's dtrtri inverts the d × d factor), then the shift; its squared length is the
            // Mahalanobis distance.
            var inverse = factor
            LAPACKE_dtrtri(
                LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int8(UInt8(ascii: "N")), Int32(d), &inverse, Int32(d))
            cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(d), Int32(d), 1, x, Int32(d), inverse,
                Int32(d), 0, &work, Int32(d))
            let shift = (0..<d).map { a in (0...a).reduce(0.0) { $0 + inverse[a * d + $1] * m[$1] } }
            for i in 0..<n { for j in 0..<d { work[i * d + j] -= shift[j] } }
        } else {
            for i in 0..<n { for j in 0..<d { work[i * d + j] = (x[i * d + j] - m[j]) / factor[j] } }
        }
        for i in 0..<n {
            var maha = 0.0
            for j in 0..<d { maha += work[i * d + j] * work[i * d + j] }
            logp[i * k + c] = logNorm - 0.5 * maha
        }
    }

    /// One E step and M step; returns the mean log-likelihood before the update.
    mutating func step() throws -> Double {
        for c in 0..<k {
            logDensities(c, factor: try GaussianMixture.cholesky(covariances[c], d: d, covariance: covariance))
        }
        var total = 0.0
        for i in 0..<n {
            var top = -Double.infinity
            for c in 0..<k { top = max(top, logp[i * k + c]) }
            var sum = 0.0
            for c in 0..<k { sum += exp(logp[i * k + c] - top) }
            total += top + log(sum)
            for c in 0..<k { r[c][i] = exp(logp[i * k + c] - top) / sum }
        }
        for c in 0..<k {
            let mass = r[c].reduce(0, +)
            weights[c] = max(mass / Double(n), 1e-12)
            means[c] = mean(r[c])
            covariances[c] = scatter(r[c], mean: means[c])
        }
        let norm = weights.reduce(0, +)
        weights = weights.map { $0 / norm }
        return total / Double(n)
    }
}
