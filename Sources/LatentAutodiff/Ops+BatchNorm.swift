import LatentTensor

extension Variable {
    /// Batch normalisation over the last axis (channels of NHWC activations, features of a [n, f] batch), as
    /// PyTorch's BatchNorm2d/1d: in training, each channel normalised by its batch mean and biased variance and
    /// the running statistics moved by `momentum` (variance unbiased, as PyTorch); in evaluation, normalised by
    /// the running statistics. Then scaled by `weight` and shifted by `bias` ([C] each). Per-channel sums are
    /// accumulated in double precision: they run over every pixel of the batch.
    public static func batchNorm(
        _ x: Variable, weight: Variable, bias: Variable, runningMean: Tensor, runningVariance: Tensor,
        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5, sync: (group: BatchNormSync, worker: Int)? = nil
    ) -> Variable {
        let sync = training && sync?.group.isActive == true ? sync : nil
        let c = x.shape[x.shape.rank - 1], rows = x.value.count / c
        precondition(
            weight.value.count == c && bias.value.count == c, "batchNorm: \(c) channels, weight \(weight.shape)")
        let mean = Tensor(zeros: [c]), inverse = Tensor(uninitialized: [c]), scratch = Tensor(uninitialized: [2 * c])
        let xv = x.value.data
        if training {
            // Two passes (mean, then squared deviations from it), each summed over the whole batch: across
            // the workers' shares when synchronised.
            var sum = [Double](repeating: 0, count: c + 1), squares = [Double](repeating: 0, count: c)
            sum.withUnsafeMutableBufferPointer {
                ChannelKernels.sums(
                    xv, rows: rows, channels: c, shift: nil, squared: false, into: $0.baseAddress!,
                    scratch: scratch.data)
            }
            sum[c] = Double(rows)
            if let sync { sum = sync.group.total(worker: sync.worker, sum) }
            let n = sum[c]
            for j in 0..<c {
                sum[j] /= n
                mean.data[j] = Float(sum[j])
            }
            // Squared deviations from the float mean the normalisation uses.
            squares.withUnsafeMutableBufferPointer {
                ChannelKernels.sums(
                    xv, rows: rows, channels: c, shift: mean.data, squared: true, into: $0.baseAddress!,
                    scratch: scratch.data)
            }
            if let sync { squares = sync.group.total(worker: sync.worker, squares) }
            let unbiased = n / max(n - 1, 1), m = Double(momentum)
            let updates = sync.map { $0.group.updatesRunningStatistics($0.worker) } ?? true
            let (rm, rv) =
                sync.map { ($0.group.runningMean, $0.group.runningVariance) } ?? (runningMean, runningVariance)
            for j in 0..<c {
                let variance = squares[j] / n
                inverse.data[j] = Float(1 / (variance + Double(epsilon)).squareRoot())
                guard updates else { continue }
                rm.data[j] = Float((1 - m) * Double(rm.data[j]) + m * sum[j])
                rv.data[j] = Float((1 - m) * Double(rv.data[j]) + m * variance * unbiased)
            }
        } else {
            for j in 0..<c {
                mean.data[j] = runningMean.data[j]
                inverse.data[j] = 1 / (runningVariance.data[j] + epsilon).squareRoot()
            }
        }
        // y = x̂·γ + β with x̂ = (x − mean)·s: x·(s·γ) + (β − mean·s·γ), one scale and shift per channel.
        let y = Tensor(uninitialized: x.shape), scale = Tensor(uninitialized: [c]), offset = Tensor(uninitialized: [c])
        for j in 0..<c {
            scale.data[j] = inverse.data[j] * weight.value.data[j]
            offset.data[j] = bias.value.data[j] - mean.data[j] * scale.data[j]
        }
        ChannelKernels.affine(xv, rows: rows, channels: c, scale: scale.data, offset: offset.data, into: y.data)
        return Variable(y, parents: [x, weight, bias]) { dy in
            batchNormBackward(
                dy, x: x, weight: weight, bias: bias, mean: mean, inverse: inverse, training: training, sync: sync)
        }
    }
}

/// BatchNorm's pullback: Σ dy and Σ dy·x̂ per channel (the bias and weight gradients), then dx — in training
/// γ·s·(dy − mean(dy) − x̂·mean(dy·x̂)), the batch statistics' own dependence on x included; in evaluation γ·s·dy.
private func batchNormBackward(
    _ dy: Tensor, x: Variable, weight: Variable, bias: Variable, mean: Tensor, inverse: Tensor, training: Bool,
    sync: (group: BatchNormSync, worker: Int)?
) {
    let c = mean.count, rows = x.value.count / c
    let m = mean.data, s = inverse.data, xv = x.value.data, g = weight.value.data, d = dy.data
    let scratch = Tensor(uninitialized: [2 * c])
    // Σ dy and Σ dy·(x − mean) per channel; Σ dy·x̂ is the second times s.
    var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
    sumDy.withUnsafeMutableBufferPointer { sd in
        sumDyXhat.withUnsafeMutableBufferPointer {
            ChannelKernels.products(
                d, xv, rows: rows, channels: c, shift: m, sumD: sd.baseAddress!, sumDX: $0.baseAddress!,
                scratch: scratch.data)
        }
    }
    for j in 0..<c { sumDyXhat[j] *= Double(s[j]) }
    if x.requiresGrad {
        let dx = Tensor(uninitialized: x.shape)
        let p = Tensor(uninitialized: [c]), q = Tensor(zeros: [c]), t = Tensor(zeros: [c])
        for j in 0..<c { p.data[j] = g[j] * s[j] }
        if training {
            // The batch terms are the whole batch's; the parameter gradients below stay this share's (the
            // data-parallel step adds the shares). dx = γs·dy − γs²·mean(dy·x̂)·(x − mean) − γs·mean(dy).
            var totals = sumDy + sumDyXhat + [Double(rows)]
            if let sync { totals = sync.group.total(worker: sync.worker, totals) }
            let n = totals[2 * c]
            for j in 0..<c {
                q.data[j] = p.data[j] * s[j] * Float(totals[c + j] / n)
                t.data[j] = p.data[j] * Float(totals[j] / n)
            }
        }
        ChannelKernels.combine(
            d, xv, rows: rows, channels: c, p: p.data, q: q.data, shift: m, t: t.data, into: dx.data)
        x.accumulate(dx)
    }
    weight.accumulate(Tensor(sumDyXhat.map { Float($0) }, shape: [c]))
    bias.accumulate(Tensor(sumDy.map { Float($0) }, shape: [c]))
}
