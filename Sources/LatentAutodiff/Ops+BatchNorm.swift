import LatentTensor

extension Variable {
    /// Batch normalisation over the last axis (channels of NHWC activations, features of a [n, f] batch), as
    /// PyTorch's BatchNorm2d/1d: in training, each channel normalised by its batch mean and biased variance and
    /// the running statistics moved by `momentum` (variance unbiased, as PyTorch); in evaluation, normalised by
    /// the running statistics. Then scaled by `weight` and shifted by `bias` ([C] each). With `sync`, the batch
    /// statistics are the whole batch's over the data-parallel workers. The arithmetic is `BatchNormKernels`.
    public static func batchNorm(
        _ x: Variable, weight: Variable, bias: Variable, runningMean: Tensor, runningVariance: Tensor,
        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5, sync: (group: BatchNormSync, worker: Int)? = nil
    ) -> Variable {
        let c = x.shape[x.shape.rank - 1], rows = x.value.count / c
        precondition(
            weight.value.count == c && bias.value.count == c, "batchNorm: \(c) channels, weight \(weight.shape)")
        let mean = Tensor(zeros: [c]), inverse = Tensor(uninitialized: [c])
        let buffers = Buffers(channels: c)
        let kernels = buffers.kernels(rows: rows, sync: training ? sync : nil)
        if training {
            // Synchronised replicas move the primary's running statistics (one of them does).
            let shared = sync.flatMap { $0.group.isActive ? $0.group : nil }
            let (rm, rv) = shared.map { ($0.runningMean, $0.runningVariance) } ?? (runningMean, runningVariance)
            kernels.statistics(
                x.value.data, mean: mean.data, inverse: inverse.data, running: (rm.data, rv.data),
                momentum: momentum, epsilon: epsilon)
        } else {
            for j in 0..<c {
                mean.data[j] = runningMean.data[j]
                inverse.data[j] = 1 / (runningVariance.data[j] + epsilon).squareRoot()
            }
        }
        let y = Tensor(uninitialized: x.shape)
        kernels.forward(
            x.value.data, mean: mean.data, inverse: inverse.data, weight: weight.value.data, bias: bias.value.data,
            scale: buffers.p.data, offset: buffers.q.data, into: y.data)
        return Variable(y, parents: [x, weight, bias]) { dy in
            let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
            let dw = Tensor(uninitialized: [c]), db = Tensor(uninitialized: [c])
            kernels.backward(
                dy.data, x: x.value.data, mean: mean.data, inverse: inverse.data, weight: weight.value.data,
                training: training, weightGrad: dw.data, biasGrad: db.data, scratch3: buffers.p.data,
                buffers.q.data, buffers.t.data, inputGrad: dx?.data)
            if let dx { x.accumulate(dx) }
            weight.accumulate(dw)
            bias.accumulate(db)
        }
    }
}

/// The graph op's scratch for `BatchNormKernels`, kept alive by its pullback.
private final class Buffers {
    let sums: UnsafeMutablePointer<Double>, scratch: Tensor, p: Tensor, q: Tensor, t: Tensor

    init(channels c: Int) {
        sums = .allocate(capacity: 2 * c + 1)
        (scratch, p, q, t) = (
            Tensor(uninitialized: [2 * c]), Tensor(uninitialized: [c]), Tensor(uninitialized: [c]),
            Tensor(uninitialized: [c])
        )
    }

    deinit { sums.deallocate() }

    func kernels(rows: Int, sync: (group: BatchNormSync, worker: Int)?) -> BatchNormKernels {
        BatchNormKernels(channels: p.count, rows: rows, sums: sums, scratch: scratch.data, sync: sync)
    }
}
