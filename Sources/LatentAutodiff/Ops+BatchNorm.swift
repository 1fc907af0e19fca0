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
        let mean = Tensor(zeros: [c]), inverse = Tensor(uninitialized: [c])
        let xv = x.value.data
        if training {
            // Two passes (mean, then squared deviations from it), each summed over the whole batch: across
            // the workers' shares when synchronised.
            var sum = [Double](repeating: 0, count: c + 1), squares = [Double](repeating: 0, count: c)
            for r in 0..<rows { for j in 0..<c { sum[j] += Double(xv[r * c + j]) } }
            sum[c] = Double(rows)
            if let sync { sum = sync.group.total(worker: sync.worker, sum) }
            let n = sum[c]
            for j in 0..<c { sum[j] /= n }
            for r in 0..<rows {
                for j in 0..<c {
                    let d = Double(xv[r * c + j]) - sum[j]
                    squares[j] += d * d
                }
            }
            if let sync { squares = sync.group.total(worker: sync.worker, squares) }
            let unbiased = n / max(n - 1, 1), m = Double(momentum)
            let updates = sync.map { $0.group.updatesRunningStatistics($0.worker) } ?? true
            let (rm, rv) =
                sync.map { ($0.group.runningMean, $0.group.runningVariance) } ?? (runningMean, runningVariance)
            for j in 0..<c {
                let variance = squares[j] / n
                mean.data[j] = Float(sum[j])
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
        // y = x̂·γ + β with x̂ = (x − mean)·s: one scale and shift per channel.
        let y = Tensor(uninitialized: x.shape), yv = y.data
        let m = mean.data, s = inverse.data, g = weight.value.data, b = bias.value.data
        for r in 0..<rows {
            for j in 0..<c { yv[r * c + j] = (xv[r * c + j] - m[j]) * s[j] * g[j] + b[j] }
        }
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
    var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
    for r in 0..<rows {
        for j in 0..<c {
            sumDy[j] += Double(d[r * c + j])
            sumDyXhat[j] += Double(d[r * c + j] * (xv[r * c + j] - m[j]) * s[j])
        }
    }
    if x.requiresGrad {
        let dx = Tensor(uninitialized: x.shape), o = dx.data
        if training {
            // The batch terms are the whole batch's; the parameter gradients below stay this share's (the
            // data-parallel step adds the shares).
            var totals = sumDy + sumDyXhat + [Double(rows)]
            if let sync { totals = sync.group.total(worker: sync.worker, totals) }
            let n = totals[2 * c]
            let meanDy = (0..<c).map { Float(totals[$0] / n) }, meanDyXhat = (0..<c).map { Float(totals[c + $0] / n) }
            for r in 0..<rows {
                for j in 0..<c {
                    let xhat = (xv[r * c + j] - m[j]) * s[j]
                    o[r * c + j] = g[j] * s[j] * (d[r * c + j] - meanDy[j] - xhat * meanDyXhat[j])
                }
            }
        } else {
            for r in 0..<rows { for j in 0..<c { o[r * c + j] = g[j] * s[j] * d[r * c + j] } }
        }
        x.accumulate(dx)
    }
    weight.accumulate(Tensor(sumDyXhat.map { Float($0) }, shape: [c]))
    bias.accumulate(Tensor(sumDy.map { Float($0) }, shape: [c]))
}
