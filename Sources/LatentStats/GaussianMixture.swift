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
        let x = (0..<n).map { i in (0..<d).map { Double(data.data[i * d + $0]) } }
        var model = EM(x: x, k: k, d: d, covariance: covariance)
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

/// The EM iterations' state.
private struct EM {
    let x: [[Double]], k: Int, d: Int, covariance: GaussianMixture.Covariance
    var weights: [Double] = [], means: [[Double]] = [], covariances: [[Double]] = []

    init(x: [[Double]], k: Int, d: Int, covariance: GaussianMixture.Covariance) {
        (self.x, self.k, self.d, self.covariance) = (x, k, d, covariance)
    }

    /// k-means++ centres; every component starts with the data's covariance and equal weight.
    mutating func start(_ rng: inout RandomGenerator) {
        let n = x.count
        means = [x[Int(rng.next() % UInt64(n))]]
        var nearest = x.map { distance($0, means[0]) }
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
            means.append(x[pick])
            for i in 0..<n { nearest[i] = min(nearest[i], distance(x[i], x[pick])) }
        }
        weights = Array(repeating: 1 / Double(k), count: k)
        let all = [Double](repeating: 1, count: n)
        covariances = Array(repeating: scatter(all, mean: mean(all)), count: k)
    }

    func distance(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for j in 0..<d { s += (a[j] - b[j]) * (a[j] - b[j]) }
        return s
    }

    func mean(_ r: [Double]) -> [Double] {
        var m = [Double](repeating: 0, count: d), total = 0.0
        for (i, row) in x.enumerated() where r[i] > 0 {
            total += r[i]
            for j in 0..<d { m[j] += r[i] * row[j] }
        }
        return m.map { $0 / max(total, 1e-300) }
    }

    /// The responsibility-weighted covariance about `mean`, plus 1e-6 on the diagonal.
    func scatter(_ r: [Double], mean m: [Double]) -> [Double] {
        let total = max(r.reduce(0, +), 1e-300)
        var s = [Double](repeating: 0, count: covariance == .full ? d * d : d)
        for (i, row) in x.enumerated() where r[i] > 0 {
            for a in 0..<d {
                let da = row[a] - m[a]
                if covariance == .full {
                    for b in 0...a { s[a * d + b] += r[i] * da * (row[b] - m[b]) }
                } else {
                    s[a] += r[i] * da * da
                }
            }
        }
        if covariance == .full {
            for a in 0..<d {
                for b in 0...a {
                    s[a * d + b] /= total
                    s[b * d + a] = s[a * d + b]
                }
                s[a * d + a] += 1e-6
            }
        } else {
            for a in 0..<d { s[a] = s[a] / total + 1e-6 }
        }
        return s
    }

    /// One E step and M step; returns the mean log-likelihood before the update.
    mutating func step() throws -> Double {
        let n = x.count
        let factors = try covariances.map { try GaussianMixture.cholesky($0, d: d, covariance: covariance) }
        let logNorm = (0..<k).map { c -> Double in
            let logDet =
                covariance == .full
                ? (0..<d).reduce(0.0) { $0 + 2 * log(factors[c][$1 * d + $1]) }
                : (0..<d).reduce(0.0) { $0 + log(covariances[c][$1]) }
            return log(weights[c]) - 0.5 * (Double(d) * log(2 * Double.pi) + logDet)
        }
        var r = [[Double]](repeating: [Double](repeating: 0, count: n), count: k)
        var total = 0.0
        var y = [Double](repeating: 0, count: d), logp = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for c in 0..<k {
                var maha = 0.0
                for a in 0..<d {
                    var v = x[i][a] - means[c][a]
                    if covariance == .full {
                        for b in 0..<a { v -= factors[c][a * d + b] * y[b] }
                        y[a] = v / factors[c][a * d + a]
                        maha += y[a] * y[a]
                    } else {
                        maha += v * v / covariances[c][a]
                    }
                }
                logp[c] = logNorm[c] - 0.5 * maha
            }
            let top = logp.max()!
            let sum = logp.reduce(0.0) { $0 + exp($1 - top) }
            total += top + log(sum)
            for c in 0..<k { r[c][i] = exp(logp[c] - top) / sum }
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
