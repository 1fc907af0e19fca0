import Foundation
import LatentAutodiff
import LatentData
import LatentModels
import LatentTensor

/// The importance-sampled estimate of a VAE's test log-likelihood (Burda et al. 2015):
///
///     log p(x) ≈ log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x),   z_k ~ q(z | x)
///
/// the number the literature reports (as a negative log-likelihood in nats). The K samples of a batch of
/// images are decoded together as one large matrix product; the per-image sums over k are kept as a
/// streaming log-sum-exp in double precision, so any K fits in memory.
public enum ImportanceSampling {
    /// The estimate for each image of `data` (its first `limit` images), with `k` samples each.
    /// `progress` is called with the number of images done.
    public static func logLikelihoods(_ vae: VariationalAutoencoder, on data: ImageDataset, k: Int, limit: Int? = nil,
                                      seed: UInt64, threads: Int = 1, progress: (Int) -> Void = { _ in }) -> [Double] {
        let n = min(limit ?? data.count, data.count)
        let c = vae.config, d = c.latent
        // Rows decoded at once: about 2,048 (images × samples).
        let chunk = max(1, min(k, 2048))
        let imagesPerBlock = max(1, 2048 / chunk)
        var rng = RandomGenerator(seed: seed, stream: 41)
        var result = [Double](repeating: 0, count: n)
        let logTwoPi = Float(1.8378770664093453)
        let outputLogVariance = vae.outputLogVariance.map { $0.value.scalar } ?? c.outputVariance.map { Foundation.log($0) } ?? 0
        var start = 0
        while start < n {
            let count = min(imagesPerBlock, n - start)
            let x = data.batch(start..<(start + count))
            let labels = (start..<(start + count)).map { Int(data.labels[$0]) }
            let (mu, logVar) = vae.encodeDistribution(x, labels: labels)
            var maxLog = [Double](repeating: -.infinity, count: count), sumExp = [Double](repeating: 0, count: count)
            var done = 0
            while done < k {
                let s = min(chunk, k - done)
                let rows = count * s
                let eps = Tensor(uninitialized: [rows, d])
                rng.fillNormal(eps)
                let z = Tensor(uninitialized: [rows, d])
                var logPriorMinusQ = [Float](repeating: 0, count: rows)
                var rowLabels = [Int](repeating: 0, count: rows)
                for i in 0..<count { for t in 0..<s {
                    let r = i * s + t
                    rowLabels[r] = labels[i]
                    var acc: Float = 0
                    for j in 0..<d {
                        let e = eps[r, j], lv = logVar[i, j]
                        let zz = mu[i, j] + Foundation.exp(lv / 2) * e
                        z[r, j] = zz
                        // log p(z) − log q(z|x) = −½ Σ [z² − ε² − logvar]
                        acc += -0.5 * (zz * zz - e * e - lv)
                    }
                    logPriorMinusQ[r] = acc
                } }
                let logits = vae.logits(Variable(z), labels: rowLabels).value
                let logLik = rowLogLikelihoods(logits, targets: x, samplesPerImage: s, likelihood: c.likelihood,
                                               outputLogVariance: outputLogVariance, logTwoPi: logTwoPi, threads: threads)
                for i in 0..<count { for t in 0..<s {
                    let w = Double(logLik[i * s + t]) + Double(logPriorMinusQ[i * s + t])
                    if w > maxLog[i] { sumExp[i] = sumExp[i] * Foundation.exp(maxLog[i] - w) + 1; maxLog[i] = w }
                    else { sumExp[i] += Foundation.exp(w - maxLog[i]) }
                } }
                done += s
            }
            for i in 0..<count { result[start + i] = maxLog[i] + Foundation.log(sumExp[i]) - Foundation.log(Double(k)) }
            start += count
            progress(start)
        }
        return result
    }

    /// log p(x_i | z_r) for every decoded row r (image i = r / samplesPerImage), summed over pixels.
    static func rowLogLikelihoods(_ logits: Tensor, targets x: Tensor, samplesPerImage s: Int, likelihood: Likelihood,
                                  outputLogVariance: Float, logTwoPi: Float, threads: Int) -> [Float] {
        let rows = logits.shape[0], f = logits.shape[1]
        var out = [Float](repeating: 0, count: rows)
        let workers = max(1, min(threads, rows / 64 + 1))
        out.withUnsafeMutableBufferPointer { o in
            let o = UnsafeSendable(o.baseAddress!)
            Parallel.forEach(workers) { w in
                let lo = rows * w / workers, hi = rows * (w + 1) / workers
                let a = UnsafeMutablePointer<Float>.allocate(capacity: f), b = UnsafeMutablePointer<Float>.allocate(capacity: f)
                defer { a.deallocate(); b.deallocate() }
                for r in lo..<hi {
                    let l = logits.data + r * f, t = x.data + (r / s) * f
                    switch likelihood {
                    case .bernoulli:
                        // −BCE(l, t) = l·t − max(l, 0) − log1p(exp(−|l|))
                        for j in 0..<f { a[j] = -abs(l[j]) }
                        VectorMath.exp(a, b, f)
                        VectorMath.log1p(b, a, f)
                        var acc: Float = 0
                        for j in 0..<f { acc += l[j] * t[j] - max(l[j], 0) - a[j] }
                        o.pointer[r] = acc
                    case .gaussian:
                        VectorMath.sigmoid(l, a, f)
                        var sq: Float = 0
                        for j in 0..<f { let e = t[j] - a[j]; sq += e * e }
                        o.pointer[r] = -0.5 * (sq * Foundation.exp(-outputLogVariance) + Float(f) * (outputLogVariance + logTwoPi))
                    }
                }
            }
        }
        return out
    }
}

/// A pointer shared by workers that write disjoint parts of its memory.
struct UnsafeSendable<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
