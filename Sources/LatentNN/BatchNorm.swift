import LatentAutodiff
import LatentTensor

/// Batch normalisation over the channels of NHWC activations (PyTorch's BatchNorm2d: weight 1, bias 0, running
/// mean 0 and variance 1 at the start, momentum 0.1, ε 1e-5). Batch statistics while training, the running
/// statistics — buffers saved under PyTorch's names, never touched by the optimiser — in evaluation.
public final class BatchNorm: Layer {
    /// Scale (γ) and shift (β) per channel.
    public let weight: Parameter, bias: Parameter
    /// The running statistics (`running_mean`, `running_var`).
    public let runningMean: Parameter, runningVariance: Parameter
    /// Whether the layer normalises by batch statistics and updates the running ones.
    public private(set) var isTraining = true
    /// PyTorch's defaults.
    public let momentum: Float = 0.1, epsilon: Float = 1e-5
    /// The group this layer shares batch statistics with across data-parallel replicas, and its place in it.
    public var sync: (group: BatchNormSync, worker: Int)?

    /// A layer for `channels` channels.
    public init(_ channels: Int) {
        weight = Parameter(Tensor(repeating: 1, shape: [channels]))
        bias = Parameter(Tensor(zeros: [channels]))
        runningMean = Parameter(Tensor(zeros: [channels]))
        runningVariance = Parameter(Tensor(repeating: 1, shape: [channels]))
    }

    /// Its parameters with PyTorch `state_dict` names.
    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// The running statistics with PyTorch `state_dict` names.
    public var ownBuffers: [(name: String, parameter: Parameter)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }

    /// Training (batch statistics) or evaluation (running statistics).
    public func setOwnTraining(_ on: Bool) { isTraining = on }

    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable {
        Variable.batchNorm(
            x, weight: weight.variable, bias: bias.variable, runningMean: runningMean.value,
            runningVariance: runningVariance.value, training: isTraining, momentum: momentum, epsilon: epsilon,
            sync: sync)
    }
}

extension BatchNormSync {
    /// The one place BatchNorm groups are made (threads' replicas, plans, a lone worker among processes): one
    /// group per position in `layers`, where `layers[w]` are worker w's BatchNorm layers in network order. Each
    /// group starts from worker 0's layer (its channels and running statistics); `link(w, i, group)` attaches
    /// worker w's i-th layer, or whatever stands for it (a plan's op). None when the workers' networks differ.
    public static func groups(_ layers: [[BatchNorm]], link: (Int, Int, BatchNormSync) -> Void) -> [BatchNormSync] {
        guard let first = layers.first, layers.allSatisfy({ $0.count == first.count }) else { return [] }
        return first.indices.map { i in
            let group = BatchNormSync(
                workers: layers.count, channels: first[i].weight.value.count, runningMean: first[i].runningMean.value,
                runningVariance: first[i].runningVariance.value)
            for w in layers.indices { link(w, i, group) }
            return group
        }
    }
}
