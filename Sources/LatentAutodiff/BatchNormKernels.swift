import LatentTensor

/// BatchNorm's arithmetic on raw buffers, shared by the graph op (`Variable.batchNorm`) and the planned step:
/// the batch statistics (summed over every worker's share when synchronised), the forward affine map, and
/// the backward pass. Each function works in caller-provided buffers: `sums` holds 2c + 1 doubles and
/// `scratch` 2c floats, so the planned step allocates nothing.
package struct BatchNormKernels {
    /// Channels, and rows (pixels of the batch share) per call.
    package let channels: Int, rows: Int
    package let sums: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Float>
    /// The workers' exchange, when synchronised.
    package let sync: (group: BatchNormSync, worker: Int)?

    package init(
        channels: Int, rows: Int, sums: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Float>,
        sync: (group: BatchNormSync, worker: Int)?
    ) {
        (self.channels, self.rows, self.sums, self.scratch) = (channels, rows, sums, scratch)
        self.sync = sync.flatMap { $0.group.isActive ? $0 : nil }
    }

    private func total(_ count: Int) {
        if let sync { sync.group.total(worker: sync.worker, sums, count: count) }
    }

    /// Training statistics of x: the mean and 1/√(variance + ε) per channel, in two passes (the mean, then
    /// squared deviations from the float mean the normalisation uses); moves `running` (mean, variance —
    /// unbiased, as PyTorch) by `momentum` unless another worker does.
    package func statistics(
        _ x: UnsafePointer<Float>, mean m: UnsafeMutablePointer<Float>, inverse s: UnsafeMutablePointer<Float>,
        running: (mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>), momentum: Float,
        epsilon: Float
    ) {
        let c = channels
        sums.update(repeating: 0, count: c + 1)
        ChannelKernels.sums(x, rows: rows, channels: c, shift: nil, squared: false, into: sums, scratch: scratch)
        sums[c] = Double(rows)
        total(c + 1)
        let count = sums[c], unbiased = count / max(count - 1, 1), k = Double(momentum)
        let updates = sync.map { $0.group.updatesRunningStatistics($0.worker) } ?? true
        for j in 0..<c {
            let average = sums[j] / count
            m[j] = Float(average)
            if updates { running.mean[j] = Float((1 - k) * Double(running.mean[j]) + k * average) }
        }
        sums.update(repeating: 0, count: c)
        ChannelKernels.sums(x, rows: rows, channels: c, shift: m, squared: true, into: sums, scratch: scratch)
        total(c)
        for j in 0..<c {
            let variance = sums[j] / count
            s[j] = Float(1 / (variance + Double(epsilon)).squareRoot())
            if updates { running.variance[j] = Float((1 - k) * Double(running.variance[j]) + k * variance * unbiased) }
        }
    }

    /// y = x̂·γ + β with x̂ = (x − mean)·s, as x·(s·γ) + (β − mean·s·γ); `scale` and `offset` are [c]
    /// scratch.
    package func forward(
        _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, inverse: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, scale: UnsafeMutablePointer<Float>,
        offset: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<channels {
            scale[j] = inverse[j] * weight[j]
            offset[j] = bias[j] - mean[j] * scale[j]
        }
        ChannelKernels.affine(x, rows: rows, channels: channels, scale: scale, offset: offset, into: y)
    }

    /// From d = d loss / d y: the weight and bias gradients of this share (Σ dy·x̂ and Σ dy, overwritten),
    /// and, if asked, dx (overwritten) — in training γs·dy − γs²·mean(dy·x̂)·(x − mean) − γs·mean(dy)
    /// with the whole batch's means; in evaluation γs·dy. `p`, `q`, `t` are [c] scratch.
    package func backward(
        _ d: UnsafePointer<Float>, x: UnsafePointer<Float>, mean m: UnsafePointer<Float>,
        inverse s: UnsafePointer<Float>, weight g: UnsafePointer<Float>, training: Bool,
        weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>,
        scratch3 p: UnsafeMutablePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ t: UnsafeMutablePointer<Float>,
        inputGrad: UnsafeMutablePointer<Float>?
    ) {
        let c = channels
        sums.update(repeating: 0, count: 2 * c + 1)
        ChannelKernels.products(
            d, x, rows: rows, channels: c, shift: m, sumD: sums, sumDX: sums + c, scratch: scratch)
        for j in 0..<c {
            sums[c + j] *= Double(s[j])
            biasGrad[j] = Float(sums[j])
            weightGrad[j] = Float(sums[c + j])
            p[j] = g[j] * s[j]
            (q[j], t[j]) = (0, 0)
        }
        guard let inputGrad else { return }
        if training {
            sums[2 * c] = Double(rows)
            total(2 * c + 1)
            let count = sums[2 * c]
            for j in 0..<c {
                q[j] = p[j] * s[j] * Float(sums[c + j] / count)
                t[j] = p[j] * Float(sums[j] / count)
            }
        }
        ChannelKernels.combine(d, x, rows: rows, channels: c, p: p, q: q, shift: m, t: t, into: inputGrad)
    }
}
