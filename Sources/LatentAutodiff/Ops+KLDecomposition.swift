import Foundation
import LatentTensor

/// The three parts of a batch's KL term as the β-TCVAE splits it (Chen et al. 2018), each summed over the batch:
/// the index-code mutual information Σ log q(z|x) − log q(z), the total correlation Σ log q(z) − log Π_d q(z_d)
/// and the dimension-wise KL Σ log Π_d q(z_d) − log p(z).
public struct KLDecomposition: Sendable {
    /// Σ_i log q(z_i|x_i) − log q(z_i).
    public var mutualInformation: Double
    /// Σ_i log q(z_i) − Σ_d log q(z_id).
    public var totalCorrelation: Double
    /// Σ_i Σ_d log q(z_id) − log p(z_i).
    public var dimensionwiseKL: Double
}

extension Variable {
    /// α·MI + β·TC + γ·DWKL of a batch (`KLDecomposition`), with q(z) and q(z_d) estimated from the batch's own
    /// posteriors: log q(z_i) = log Σ_j w_ij Π_d N(z_id | μ_jd, σ²_jd) and log q(z_id) = log Σ_j w_ij
    /// N(z_id | μ_jd, σ²_jd), with the weights of minibatch-stratified sampling (`stratified`,
    /// `Variable.stratifiedLogWeights`) or of minibatch-weighted sampling (1/(n·N)) for a batch of n drawn from
    /// `datasetSize` N. `z`, `mean` and `logVariance` are [n, d]. The n×n×d pairwise densities are computed a
    /// row at a time, forward and again in the pullback, so memory stays O(n·d) at any batch size; rows are split
    /// over `threads` threads.
    public static func decomposedKL(
        z: Variable, mean: Variable, logVariance: Variable, datasetSize: Int, stratified: Bool,
        weights: (alpha: Float, beta: Float, gamma: Float), threads: Int = 1
    ) -> (loss: Variable, parts: KLDecomposition) {
        let n = z.shape[0], d = z.shape[1]
        precondition(
            z.shape.rank == 2 && mean.shape == z.shape && logVariance.shape == z.shape && n >= 1 && datasetSize >= n,
            "decomposedKL: z \(z.shape), mean \(mean.shape), logVariance \(logVariance.shape), N \(datasetSize)")
        let pairs = PairwiseDensities(
            z: z.value, mean: mean.value, logVariance: logVariance.value, datasetSize: datasetSize,
            stratified: stratified, threads: max(1, min(threads, n)))
        let parts = pairs.forward()
        let (alpha, beta, gamma) = weights
        let total =
            Double(alpha) * parts.mutualInformation + Double(beta) * parts.totalCorrelation
            + Double(gamma) * parts.dimensionwiseKL
        let loss = Variable(Tensor(scalar: Float(total)), parents: [z, mean, logVariance]) { g in
            let up = g.scalar
            // ∂/∂ log q(z_i|x_i) = α, ∂/∂ log q(z_i) = β − α, ∂/∂ log q(z_ik) = γ − β,
            // ∂/∂ log p(z_i) = −γ.
            let (gz, gm, gv) = pairs.backward(
                posterior: alpha * up, joint: (beta - alpha) * up, marginal: (gamma - beta) * up, prior: -gamma * up)
            z.accumulate(gz)
            mean.accumulate(gm)
            logVariance.accumulate(gv)
        }
        return (loss, parts)
    }

    /// The log weights [n·n] (row i: the weights of the batch's posteriors in q(z_i)) of minibatch-stratified
    /// sampling, as the β-TCVAE authors' code (`vae_quant.py`) and Pythae build them for a batch of n ≥ 2 from N
    /// examples: 1/(n−1) everywhere, column 0 1/N, column 1 (N−n+1)/(N·(n−1)), and entry (n−2, 0) the
    /// latter too.
    /// A batch of one has the single weight 1/N.
    public static func stratifiedLogWeights(batch n: Int, datasetSize: Int) -> [Float] {
        guard n >= 2 else { return [Float(-Foundation.log(Double(datasetSize)))] }
        let m = Double(n - 1), big = Double(datasetSize)
        let strata = (big - m) / (big * m)
        var w = [Double](repeating: 1 / m, count: n * n)
        for i in 0..<n { (w[i * n], w[i * n + 1]) = (1 / big, strata) }
        w[(n - 2) * n] = strata
        return w.map { Float(Foundation.log($0)) }
    }
}

/// The β-TCVAE's pairwise Gaussian densities log N(z_i | μ_j, σ²_j) of a batch, computed a row i at a time (forward
/// and again backward), rows split over threads, each thread with its own scratch and gradient accumulators.
private final class PairwiseDensities {
    let n: Int, d: Int, threads: Int
    let z: Tensor, mean: Tensor, logVariance: Tensor
    /// 1/σ² [n·d]; log weights [n·n] (nil: the uniform `uniform`).
    let inverseVariance: UnsafeMutablePointer<Float>
    let logW: [Float]?
    let uniform: Float
    /// log q(z_i) [n] and log q(z_id) [n·d], kept for the pullback.
    let logJoint: UnsafeMutablePointer<Float>, logMarginal: UnsafeMutablePointer<Float>
    /// Per thread: a row's densities [n·d], their exponentials [n·d], joint densities [n], per-dimension maxima
    /// and sums [d].
    let rows: [UnsafeMutablePointer<Float>], exps: [UnsafeMutablePointer<Float>], joints: [UnsafeMutablePointer<Float>]
    let scratch: [UnsafeMutablePointer<Double>]
    static let halfLog2Pi = Float(0.5 * Foundation.log(2 * Double.pi))

    init(z: Tensor, mean: Tensor, logVariance: Tensor, datasetSize: Int, stratified: Bool, threads: Int) {
        (n, d, self.threads) = (z.shape[0], z.shape[1], threads)
        (self.z, self.mean, self.logVariance) = (z, mean, logVariance)
        inverseVariance = .allocate(capacity: n * d)
        for k in 0..<(n * d) { inverseVariance[k] = -logVariance.data[k] }
        VectorMath.exp(inverseVariance, inverseVariance, n * d)
        logW = stratified ? Variable.stratifiedLogWeights(batch: n, datasetSize: datasetSize) : nil
        uniform = Float(-Foundation.log(Double(n) * Double(datasetSize)))
        logJoint = .allocate(capacity: n)
        logMarginal = .allocate(capacity: n * d)
        let (n, d) = (n, d)
        rows = (0..<threads).map { _ in .allocate(capacity: n * d) }
        exps = (0..<threads).map { _ in .allocate(capacity: n * d) }
        joints = (0..<threads).map { _ in .allocate(capacity: n) }
        scratch = (0..<threads).map { _ in .allocate(capacity: 2 * d) }
    }

    deinit {
        inverseVariance.deallocate()
        logJoint.deallocate()
        logMarginal.deallocate()
        for p in rows + exps + joints { p.deallocate() }
        for p in scratch { p.deallocate() }
    }

    /// The rows thread t takes.
    func range(_ t: Int) -> Range<Int> { (t * n / threads)..<((t + 1) * n / threads) }

    /// Row i's log w_ij + log N(z_ik | μ_jk, σ²_jk) into `row` [j·d + k], and log w_ij + Σ_k log N(…) into
    /// `joint`.
    func fill(_ i: Int, row: UnsafeMutablePointer<Float>, joint: UnsafeMutablePointer<Float>) {
        let zi = z.data + i * d, mu = mean.data, lv = logVariance.data, iv = inverseVariance
        for j in 0..<n {
            let w = logW?[i * n + j] ?? uniform
            var sum: Float = 0
            for k in 0..<d {
                let diff = zi[k] - mu[j * d + k]
                let density = -0.5 * (lv[j * d + k] + diff * diff * iv[j * d + k]) - Self.halfLog2Pi
                row[j * d + k] = w + density
                sum += density
            }
            joint[j] = w + sum
        }
    }

    /// Row i's log q(z_i) and log q(z_ik) from a filled row.
    func logSumExps(_ i: Int, thread t: Int) {
        let row = rows[t], e = exps[t], joint = joints[t], maxima = scratch[t], sums = scratch[t] + d
        var m = -Float.infinity
        for j in 0..<n { m = max(m, joint[j]) }
        for j in 0..<n { e[j] = joint[j] - m }
        VectorMath.exp(e, e, n)
        var s = 0.0
        for j in 0..<n { s += Double(e[j]) }
        logJoint[i] = m + Float(Foundation.log(s))
        for k in 0..<d { (maxima[k], sums[k]) = (-Double.infinity, 0) }
        for j in 0..<n { for k in 0..<d { maxima[k] = max(maxima[k], Double(row[j * d + k])) } }
        for j in 0..<n { for k in 0..<d { e[j * d + k] = row[j * d + k] - Float(maxima[k]) } }
        VectorMath.exp(e, e, n * d)
        for j in 0..<n { for k in 0..<d { sums[k] += Double(e[j * d + k]) } }
        for k in 0..<d { logMarginal[i * d + k] = Float(maxima[k] + Foundation.log(sums[k])) }
    }

    func forward() -> KLDecomposition {
        Parallel.forEach(threads) { t in
            for i in range(t) {
                fill(i, row: rows[t], joint: joints[t])
                logSumExps(i, thread: t)
            }
        }
        var parts = KLDecomposition(mutualInformation: 0, totalCorrelation: 0, dimensionwiseKL: 0)
        let halfLog2Pi = Double(Self.halfLog2Pi)
        for i in 0..<n {
            var logProduct = 0.0, logPosterior = 0.0, logPrior = 0.0
            for k in 0..<d {
                logProduct += Double(logMarginal[i * d + k])
                let zk = Double(z.data[i * d + k]), v = Double(logVariance.data[i * d + k])
                let diff = zk - Double(mean.data[i * d + k])
                logPosterior -= 0.5 * (v + diff * diff * Foundation.exp(-v)) + halfLog2Pi
                logPrior -= 0.5 * zk * zk + halfLog2Pi
            }
            let q = Double(logJoint[i])
            parts.mutualInformation += logPosterior - q
            parts.totalCorrelation += q - logProduct
            parts.dimensionwiseKL += logProduct - logPrior
        }
        return parts
    }

    /// Gradients with respect to z, μ and log σ² of Σ_i c_post·log q(z_i|x_i) + c_joint·log q(z_i) +
    /// c_marg·Σ_k log q(z_ik) + c_prior·log p(z_i).
    func backward(
        posterior cPost: Float, joint cJoint: Float, marginal cMarg: Float, prior cPrior: Float
    )
        -> (Tensor, Tensor, Tensor)
    {
        let gz = Tensor(zeros: z.shape)
        // Per thread: gradients of μ and log σ² (each row i adds to every j); thread 0 writes the results.
        let gm = (0..<threads).map { _ in Tensor(zeros: mean.shape) }
        let gv = (0..<threads).map { _ in Tensor(zeros: logVariance.shape) }
        let (n, d) = (n, d)
        Parallel.forEach(threads) { t in
            let row = rows[t], e = exps[t], joint = joints[t], gmt = gm[t].data, gvt = gv[t].data
            let mu = mean.data, iv = inverseVariance
            for i in range(t) {
                fill(i, row: row, joint: joint)
                // The softmax weights of j in row i's log-sum-exps: P_ij (joint) and R_ijk (each dimension).
                for j in 0..<n { joint[j] -= logJoint[i] }
                VectorMath.exp(joint, joint, n)
                for j in 0..<n { for k in 0..<d { e[j * d + k] = row[j * d + k] - logMarginal[i * d + k] } }
                VectorMath.exp(e, e, n * d)
                let zi = z.data + i * d, gzi = gz.data + i * d
                for j in 0..<n {
                    let p = cJoint * joint[j]
                    for k in 0..<d {
                        var weight = p + cMarg * e[j * d + k]
                        if i == j { weight += cPost }
                        let diff = zi[k] - mu[j * d + k], s = diff * iv[j * d + k]
                        gzi[k] -= weight * s
                        gmt[j * d + k] += weight * s
                        gvt[j * d + k] += weight * (0.5 * diff * s - 0.5)
                    }
                }
                for k in 0..<d { gzi[k] -= cPrior * zi[k] }
            }
        }
        for t in 1..<threads {
            gm[0].add(gm[t])
            gv[0].add(gv[t])
        }
        return (gz, gm[0], gv[0])
    }
}
