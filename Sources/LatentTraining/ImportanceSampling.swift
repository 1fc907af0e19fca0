import Foundation
import LatentAutodiff
import LatentData
import LatentModels
import LatentNN
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
    public static func logLikelihoods(_ vae: VariationalAutoencoder, on data: Dataset, k: Int, limit: Int? = nil,
                                      seed: UInt64, threads: Int = 1, progress: (Int) -> Void = { _ in }) -> [Double] {
        let n = min(limit ?? data.count, data.count)
        // Rows decoded at once: about 2,048 (images × samples).
        let chunk = max(1, min(k, 2048))
        let imagesPerBlock = max(1, 2048 / chunk)
        let blocks = (n + imagesPerBlock - 1) / imagesPerBlock
        var result = [Double](repeating: 0, count: n)
        // Data-parallel over blocks of images, like training: a replica of the model per extra worker sharing
        // the weights, single-threaded BLAS in each. Every block has its own random stream, so the estimate
        // does not depend on the thread count.
        let workers = max(1, min(threads, blocks))
        var models = [vae]
        var sets: [ParameterSet] = []
        if workers > 1 {
            let primary = ParameterSet(vae)
            sets.append(primary)
            for _ in 1..<workers {
                var rng = RandomGenerator(seed: 0)
                let replica = makeModel(vae.config, rng: &rng) as! VariationalAutoencoder
                sets.append(ParameterSet(replica, sharingValuesOf: primary))
                models.append(replica)
            }
        }
        let previousThreads = BLAS.threads
        if workers > 1 { BLAS.setThreads(1) }
        defer { if workers > 1 { BLAS.setThreads(previousThreads) } }
        let lock = NSLock()
        final class Counter: @unchecked Sendable { var done = 0 }
        let counter = Counter()
        withoutActuallyEscaping(progress) { progress in
            result.withUnsafeMutableBufferPointer { out in
                let out = SendablePointer(out.baseAddress!)
                nonisolated(unsafe) let progress = progress
                nonisolated(unsafe) let models = models
                Parallel.forEach(workers) { w in
                    var b = w
                    while b < blocks {
                        let start = b * imagesPerBlock, count = min(imagesPerBlock, n - start)
                        let values = block(models[w], data: data, start: start, count: count, k: k, chunk: chunk,
                                           seed: seed, stream: 1000 + UInt64(b), threads: workers > 1 ? 1 : threads)
                        for i in 0..<count { out.pointer[start + i] = values[i] }
                        lock.lock()
                        counter.done += count
                        let total = counter.done
                        if w == 0 { progress(total) }
                        lock.unlock()
                        b += workers
                    }
                }
            }
        }
        _ = sets
        progress(n)
        return result
    }

    /// log p(x) estimates for images start..<start+count, with their own random stream.
    static func block(_ vae: VariationalAutoencoder, data: Dataset, start: Int, count: Int, k: Int, chunk: Int,
                      seed: UInt64, stream: UInt64, threads: Int) -> [Double] {
        let c = vae.config, d = c.latent
        var rng = RandomGenerator(seed: seed, stream: stream)
        let logTwoPi = Float(1.8378770664093453)
        let outputLogVariance = vae.outputLogVariance.map { $0.value.scalar } ?? c.outputVariance.map { Foundation.log($0) } ?? 0
        let x = data.batch(start..<(start + count))
        let labels = (start..<(start + count)).map { Int(data.labels[$0]) }
        let (mu, logVar) = vae.encodeDistribution(x, labels: labels)
        let std = logVar.scaled(by: 0.5)   // σ = exp(logvar / 2), once per image and dimension
        VectorMath.exp(std.data, std.data, std.count)
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
                    let zz = mu[i, j] + std[i, j] * e
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
        return (0..<count).map { maxLog[$0] + Foundation.log(sumExp[$0]) - Foundation.log(Double(k)) }
    }

    /// log p(x_i | z_r) for every decoded row r (image i = r / samplesPerImage), summed over pixels.
    static func rowLogLikelihoods(_ logits: Tensor, targets x: Tensor, samplesPerImage s: Int, likelihood: Likelihood,
                                  outputLogVariance: Float, logTwoPi: Float, threads: Int) -> [Float] {
        let rows = logits.shape[0], f = logits.shape[1]
        var out = [Float](repeating: 0, count: rows)
        let workers = max(1, min(threads, rows / 64 + 1))
        out.withUnsafeMutableBufferPointer { o in
            let o = SendablePointer(o.baseAddress!)
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
