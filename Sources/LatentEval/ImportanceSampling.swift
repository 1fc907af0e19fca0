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
    public static func logLikelihoods(
        _ vae: VariationalAutoencoder, on data: Dataset, k: Int, limit: Int? = nil,
        seed: UInt64, threads: Int = 1, progress: (Int) -> Void = { _ in }
    ) -> [Double] {
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
        let primary = workers > 1 ? ParameterSet(vae) : nil
        let replicas = primary.map { p in (1..<workers).map { _ in vae.replica(sharingValuesOf: p) } } ?? []
        let models = [vae] + replicas.map(\.model)
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
                        let values = block(
                            models[w], data: data, start: start, count: count, k: k, chunk: chunk,
                            seed: seed, stream: .importanceBlock(b), threads: workers > 1 ? 1 : threads)
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
        withExtendedLifetime(replicas) {}
        progress(n)
        return result
    }

    /// log p(x) estimates for images start..<start+count, with their own random stream.
    static func block(
        _ vae: VariationalAutoencoder, data: Dataset, start: Int, count: Int, k: Int, chunk: Int,
        seed: UInt64, stream: RandomStream, threads: Int
    ) -> [Double] {
        let c = vae.config, d = c.latent
        var rng = RandomGenerator(seed: seed, stream: stream)
        let outputLogVariance =
            vae.outputLogVariance.map { $0.value.scalar } ?? c.outputVariance.map { Foundation.log($0) } ?? 0
        let x = data.batch(start..<(start + count))
        let labels = (start..<(start + count)).map { Int(data.labels[$0]) }
        let (mu, logVar) = vae.encodeDistribution(x, labels: labels)
        let std = logVar.scaled(by: 0.5)  // σ = exp(logvar / 2), once per image and dimension
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
            for i in 0..<count {
                for t in 0..<s {
                    let r = i * s + t
                    rowLabels[r] = labels[i]
                    for j in 0..<d { z[r, j] = mu[i, j] + std[i, j] * eps[r, j] }
                    logPriorMinusQ[r] = Gaussian.logPriorMinusPosterior(
                        z: z.data + r * d, noise: eps.data + r * d, logVariance: logVar.data + i * d, d)
                }
            }
            var codes = z
            if let (zK, change) = vae.transformDraws(z) {  // posterior flows: log N(z_K) − log q(z_K|x)
                for r in 0..<rows {
                    var before = 0.0, after = 0.0
                    for j in 0..<d {
                        before += Double(z[r, j] * z[r, j])
                        after += Double(zK[r, j] * zK[r, j])
                    }
                    logPriorMinusQ[r] += Float(0.5 * (before - after) - change[r])
                }
                codes = zK
            }
            if let ratio = vae.priorLogDensityRatio(codes, rng: &rng) {  // a learned prior or a second layer
                for r in 0..<rows { logPriorMinusQ[r] += Float(ratio[r]) }
            }
            let logits = vae.logits(Variable(codes), labels: rowLabels).value
            let logLik = rowLogLikelihoods(
                logits, targets: x, samplesPerImage: s, likelihood: c.likelihood, identityMean: c.hasIdentityMean,
                outputLogVariance: outputLogVariance, threads: threads)
            for i in 0..<count {
                for t in 0..<s {
                    let w = Double(logLik[i * s + t]) + Double(logPriorMinusQ[i * s + t])
                    if w > maxLog[i] {
                        sumExp[i] = sumExp[i] * Foundation.exp(maxLog[i] - w) + 1
                        maxLog[i] = w
                    } else {
                        sumExp[i] += Foundation.exp(w - maxLog[i])
                    }
                }
            }
            done += s
        }
        return (0..<count).map { maxLog[$0] + Foundation.log(sumExp[$0]) - Foundation.log(Double(k)) }
    }

    /// log p(x_i | z_r) for every decoded row r (image i = r / samplesPerImage), summed over pixels.
    static func rowLogLikelihoods(
        _ logits: Tensor, targets x: Tensor, samplesPerImage s: Int, likelihood: Likelihood, identityMean: Bool = false,
        outputLogVariance: Float, threads: Int
    ) -> [Float] {
        let rows = logits.shape[0], f = logits.shape[1]
        var out = [Float](repeating: 0, count: rows)
        let workers = max(1, min(threads, rows / 64 + 1))
        out.withUnsafeMutableBufferPointer { o in
            let o = SendablePointer(o.baseAddress!)
            Parallel.forEach(workers) { w in
                let lo = rows * w / workers, hi = rows * (w + 1) / workers
                let a = UnsafeMutablePointer<Float>.allocate(capacity: f)
                defer { a.deallocate() }
                for r in lo..<hi {
                    let l = logits.data + r * f, t = x.data + (r / s) * f
                    switch likelihood {
                    case .bernoulli:
                        o.pointer[r] = -Float(
                            VectorMath.binaryCrossEntropyWithLogits(
                                l, targets: t, gradient: nil, f))
                    case .gaussian:
                        if identityMean { a.update(from: l, count: f) } else { VectorMath.sigmoid(l, a, f) }
                        var sq: Float = 0
                        for j in 0..<f { sq += (t[j] - a[j]) * (t[j] - a[j]) }
                        o.pointer[r] = Gaussian.logLikelihood(
                            squaredError: sq, count: f, logVariance: outputLogVariance)
                    }
                }
            }
        }
        return out
    }
}
