import CLAPACKE
import Foundation
import LatentTensor

/// A Gaussian mixture fitted by EM (full or diagonal covariances, k-means++ start, seeded): the better prior of
/// Pythae's GMM sampler, fitted to a VAE's training codes and sampled instead of N(0, I). Arithmetic in Double.
public struct GaussianMixture: Codable, Equatable, Sendable {
    /// Full covariance matrices, or their diagonals only.
    public enum Covariance: String, Codable, Sendable { case full, diagonal }

    /// The covariance form.
    public let covariance: Covariance
    /// Mixture weights [K], summing to 1.
    public let weights: [Double]
    /// Means, K rows of d values.
    public let means: [[Double]]
    /// Covariances: K row-major d×d matrices (full) or K diagonals of d values.
    public let covariances: [[Double]]
    /// Mean log-likelihood per point of the data it was fitted to.
    public let logLikelihood: Double
    /// EM iterations run.
    public let iterations: Int

    /// Dimensions of a point.
    public var dimensions: Int { means.first?.count ?? 0 }

    /// Fits `components` Gaussians to the rows of `data` [n, d]: k-means++ centres from `seed`, then EM until the
    /// mean log-likelihood improves by less than 1e-6 (at most `maxIterations`). Each covariance gets 1e-6 on its
    /// diagonal (as scikit-learn's reg_covar). Throws for fewer rows than components.
    public static func fit(
        _ data: Tensor, components k: Int, covariance: Covariance = .full, seed: UInt64, maxIterations: Int = 100
    ) throws -> GaussianMixture {
        let n = data.shape[0], d = data.count / max(n, 1)
        guard k >= 1, n >= k else {
            throw LatentError(
                .statistics, field: "components", "expected 1…\(n) components for \(n) points, got \(k)")
        }
        let x = (0..<(n * d)).map { Double(data.data[$0]) }
        var model = MixtureEM(x: x, n: n, k: k, d: d, covariance: covariance)
        var rng = RandomGenerator(seed: seed)
        model.start(&rng)
        var previous = -Double.infinity, iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            let ll = try model.step()
            if ll - previous < 1e-6 {
                previous = ll
                break
            }
            previous = ll
        }
        return GaussianMixture(
            covariance: covariance, weights: model.weights, means: model.means, covariances: model.covariances,
            logLikelihood: previous, iterations: iterations)
    }

    /// `count` points drawn from the mixture, [count, d].
    public func sample(count: Int, rng: inout RandomGenerator) throws -> Tensor {
        let d = dimensions, out = Tensor(uninitialized: [count, d])
        let factors = try covariances.map { try Self.cholesky($0, d: d, covariance: covariance) }
        for i in 0..<count {
            let u = Double(rng.uniform())
            var c = 0, acc = weights[0]
            while u >= acc && c < weights.count - 1 {
                c += 1
                acc += weights[c]
            }
            let eps = (0..<d).map { _ in Double(rng.normal()) }
            for r in 0..<d {
                var v = means[c][r]
                if covariance == .full {
                    for j in 0...r { v += factors[c][r * d + j] * eps[j] }
                } else {
                    v += factors[c][r] * eps[r]
                }
                out.data[i * d + r] = Float(v)
            }
        }
        return out
    }

    /// The lower Cholesky factor of a full covariance (row-major), or the square roots of a diagonal.
    static func cholesky(_ matrix: [Double], d: Int, covariance: Covariance) throws -> [Double] {
        guard covariance == .full else { return matrix.map { $0.squareRoot() } }
        var a = matrix
        let info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), Int32(d), &a, Int32(d))
        guard info == 0 else {
            throw LatentError(.statistics, "a covariance is not positive definite (LAPACK dpotrf: \(info))")
        }
        for r in 0..<d { for j in (r + 1)..<d { a[r * d + j] = 0 } }
        return a
    }
}
