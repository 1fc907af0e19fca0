import LatentAutodiff
import LatentNN
import LatentTensor

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

    private func kernels(_ rows: Int) -> BatchNormKernels {
        BatchNormKernels(
            channels: channels, rows: rows * valuesPerImage / channels, sums: sums, scratch: scratch.data, sync: sync)
    }

    func forward(_ x: UnsafePointer<Float>, rows: Int) {
        let k = kernels(rows), y = preActivation?.data ?? output.data
        k.statistics(
            x, mean: mean.data, inverse: inverse.data, running: (runningMean, runningVariance), momentum: momentum,
            epsilon: epsilon)
        k.forward(
            x, mean: mean.data, inverse: inverse.data, weight: weight, bias: bias, scale: scale.data,
            offset: offset.data, into: y)
        if let activation { activation.function.apply(y, output.data, rows * valuesPerImage) }
    }

    func backward(_ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?) {
        let d = outputGrad.data
        if let activation {
            activation.function.chainDerivative(
                d, input: preActivation!.data, output: output.data, into: d, rows * valuesPerImage)
        }
        kernels(rows).backward(
            d, x: x, mean: mean.data, inverse: inverse.data, weight: weight, training: true, weightGrad: weightGrad,
            biasGrad: biasGrad, scratch3: scale.data, q.data, t.data, inputGrad: inputGrad)
    }
}
