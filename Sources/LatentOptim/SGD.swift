import LatentNN
import LatentTensor

/// Stochastic gradient descent with optional momentum, dampening and Nesterov momentum, as PyTorch's SGD.
public final class SGD: Optimizer {
    /// The flat parameters and gradients.
    public let parameters: ParameterSet
    /// The learning rate, changeable between steps.
    public var learningRate: Float
    /// Momentum factor (0: plain SGD).
    public let momentum: Float
    /// Dampening of the momentum's gradient term.
    public let dampening: Float
    /// L2 penalty added to the gradient.
    public let weightDecay: Float
    /// Nesterov momentum.
    public let nesterov: Bool
    /// The momentum buffer (nil until the first step, as in PyTorch).
    public private(set) var velocity: Tensor?

    /// SGD over packed parameters; throws for hyperparameters outside their ranges.
    public init(
        _ parameters: ParameterSet, learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) throws {
        try LearningRate.check(learningRate)
        guard momentum >= 0 else { throw LatentError(.optimizer, field: "momentum", "expected ≥ 0, got \(momentum)") }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw LatentError(.optimizer, field: "nesterov", "requires momentum > 0 and dampening = 0")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        (self.momentum, self.dampening, self.weightDecay, self.nesterov) = (momentum, dampening, weightDecay, nesterov)
    }

    /// SGD over a model's parameters (packed if they are not yet).
    public convenience init(
        _ model: Module, learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) throws {
        try self.init(
            ParameterSet(model), learningRate: learningRate, momentum: momentum, dampening: dampening,
            weightDecay: weightDecay, nesterov: nesterov)
    }

    /// One update from the gradient `gradients` sums: the sum is made in `parameters.grads` first (over
    /// `threads`), then the update is one thread's loop.
    public func step(_ gradients: GradientSum, threads: Int) {
        precondition(gradients.primary == parameters.grads.data, "the sum is made in the parameters' gradients")
        gradients.reduce(threads: threads)
        step()
    }

    /// One update from `parameters.grads`.
    public func step() {
        let n = parameters.count, p = parameters.values.data, g = parameters.grads.data
        let lr = learningRate, mu = momentum, wd = weightDecay
        guard mu != 0 else {
            for i in 0..<n { p[i] -= lr * (g[i] + wd * p[i]) }
            return
        }
        let first = velocity == nil
        let buf = velocity ?? Tensor(zeros: parameters.values.shape)
        velocity = buf
        let b = buf.data, damp = 1 - dampening
        for i in 0..<n {
            let gi = g[i] + wd * p[i]
            b[i] = first ? gi : mu * b[i] + damp * gi
            p[i] -= lr * (nesterov ? gi + mu * b[i] : b[i])
        }
    }
}
