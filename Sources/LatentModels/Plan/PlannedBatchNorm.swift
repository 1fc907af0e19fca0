import LatentAutodiff
import LatentNN
import LatentTensor

/// A step of a plan's convolutional chain: it reads `rows` images at a pointer, writes `output`, and takes
/// d loss / d output in `outputGrad` back to its parameters and (if asked) its input, overwriting both.
protocol PlannedOp: AnyObject {
    var output: Tensor { get }
    var outputGrad: Tensor { get }
    var parameterCount: Int { get }
    func forward(_ x: UnsafePointer<Float>, rows: Int)
    func backward(_ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?)
}

extension PlannedConvolution: PlannedOp {}

/// BatchNorm in a plan (training mode: batch statistics), with the activation after it: what
/// `Variable.batchNorm` computes, on buffers made once. Replicas on data-parallel workers share the whole
/// batch's statistics through `sync` (`BatchNormSync`), and the first working one moves the running statistics.
final class PlannedBatchNorm: PlannedOp {
    let layer: BatchNorm
    let channels: Int, valuesPerImage: Int
    let weight: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>
    let runningMean: UnsafeMutablePointer<Float>, runningVariance: UnsafeMutablePointer<Float>
    let momentum: Float, epsilon: Float
    let activation: Activation?
    /// The group and this plan's worker index, when the step is data-parallel.
    var sync: (group: BatchNormSync, worker: Int)?
    /// Per-channel mean, 1/√(variance + ε), and the affine maps of the forward and backward passes.
    private let mean: Tensor, inverse: Tensor, scale: Tensor, offset: Tensor, q: Tensor, t: Tensor
    /// Double sums ([2c + 1]) and float block accumulators ([2c]).
    private let sums: UnsafeMutablePointer<Double>, scratch: Tensor
    /// Output after the activation, its input (when an activation follows), and d loss / d output.
    let output: Tensor, preActivation: Tensor?, outputGrad: Tensor
    var parameterCount: Int { 2 * channels }

    init(
        _ layer: BatchNorm, valuesPerImage: Int, activation: Activation?, weightGrad: UnsafeMutablePointer<Float>,
        biasGrad: UnsafeMutablePointer<Float>, rows: Int
    ) {
        self.layer = layer
        channels = layer.weight.value.count
        self.valuesPerImage = valuesPerImage
        (weight, bias) = (UnsafePointer(layer.weight.value.data), UnsafePointer(layer.bias.value.data))
        (self.weightGrad, self.biasGrad, self.activation) = (weightGrad, biasGrad, activation)
        (runningMean, runningVariance) = (layer.runningMean.value.data, layer.runningVariance.value.data)
        (momentum, epsilon) = (layer.momentum, layer.epsilon)
        let c: Shape = [channels]
        (mean, inverse, scale, offset) = (Tensor(zeros: c), Tensor(zeros: c), Tensor(zeros: c), Tensor(zeros: c))
        (q, t) = (Tensor(zeros: c), Tensor(zeros: c))
        sums = .allocate(capacity: 2 * channels + 1)
        scratch = Tensor(uninitialized: [2 * channels])
        let shape: Shape = [max(rows, 1), valuesPerImage]
        output = Tensor(uninitialized: shape)
        preActivation = activation == nil ? nil : Tensor(uninitialized: shape)
        outputGrad = Tensor(uninitialized: shape)
    }

    deinit { sums.deallocate() }

    private func total(_ count: Int) {
        if let sync, sync.group.isActive { sync.group.total(worker: sync.worker, sums, count: count) }
    }

    func forward(_ x: UnsafePointer<Float>, rows: Int) {
        let c = channels, n = rows * valuesPerImage / c, m = mean.data, s = inverse.data
        sums.update(repeating: 0, count: 2 * c + 1)
        ChannelKernels.sums(x, rows: n, channels: c, shift: nil, squared: false, into: sums, scratch: scratch.data)
        sums[c] = Double(n)
        total(c + 1)
        let count = sums[c], unbiased = count / max(count - 1, 1), k = Double(momentum)
        let updates = sync.map { !$0.group.isActive || $0.group.updatesRunningStatistics($0.worker) } ?? true
        for j in 0..<c {
            let average = sums[j] / count
            m[j] = Float(average)
            if updates { runningMean[j] = Float((1 - k) * Double(runningMean[j]) + k * average) }
        }
        // Squared deviations from the float mean the normalisation uses, in the same sums.
        sums.update(repeating: 0, count: c)
        ChannelKernels.sums(x, rows: n, channels: c, shift: m, squared: true, into: sums, scratch: scratch.data)
        total(c)
        for j in 0..<c {
            let variance = sums[j] / count
            s[j] = Float(1 / (variance + Double(epsilon)).squareRoot())
            scale.data[j] = s[j] * weight[j]
            offset.data[j] = bias[j] - m[j] * scale.data[j]
            if updates { runningVariance[j] = Float((1 - k) * Double(runningVariance[j]) + k * variance * unbiased) }
        }
        let y = preActivation?.data ?? output.data
        ChannelKernels.affine(x, rows: n, channels: c, scale: scale.data, offset: offset.data, into: y)
        if let activation { activation.function.apply(y, output.data, rows * valuesPerImage) }
    }

    func backward(_ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?) {
        let c = channels, n = rows * valuesPerImage / c, m = mean.data, s = inverse.data, d = outputGrad.data
        if let activation {
            let y = output.data
            activation.function.chainDerivative(
                d, input: preActivation!.data, output: y, into: d, rows * valuesPerImage)
        }
        sums.update(repeating: 0, count: 2 * c + 1)
        ChannelKernels.products(
            d, x, rows: n, channels: c, shift: m, sumD: sums, sumDX: sums + c, scratch: scratch.data)
        for j in 0..<c {
            sums[c + j] *= Double(s[j])
            biasGrad[j] = Float(sums[j])
            weightGrad[j] = Float(sums[c + j])
        }
        guard let inputGrad else { return }
        sums[2 * c] = Double(n)
        total(2 * c + 1)
        let count = sums[2 * c]
        // dx = γs·dy − γs²·mean(dy·x̂)·(x − mean) − γs·mean(dy), the batch means the whole batch's.
        for j in 0..<c {
            scale.data[j] = weight[j] * s[j]
            q.data[j] = scale.data[j] * s[j] * Float(sums[c + j] / count)
            t.data[j] = scale.data[j] * Float(sums[j] / count)
        }
        ChannelKernels.combine(
            d, x, rows: n, channels: c, p: scale.data, q: q.data, shift: m, t: t.data, into: inputGrad)
    }
}
