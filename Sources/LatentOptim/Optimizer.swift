import LatentNN
import LatentTensor

/// Updates a model's parameters from their gradients. Optimisers work on a `ParameterSet`'s flat buffers,
/// so one step is one loop over all parameters. Any optimiser works with the fast training step, which hands it
/// the gradient as a `GradientSum` of the buffers its workers wrote.
public protocol Optimizer: AnyObject {
    /// The flat parameters and gradients it updates.
    var parameters: ParameterSet { get }
    /// Learning rate, changeable between steps.
    var learningRate: Float { get set }
    /// Applies one update from the gradient `gradients` sums, its work split over `threads`.
    func step(_ gradients: GradientSum, threads: Int)
    /// Applies one update from `parameters.grads`, on one thread.
    func step()
}

extension Optimizer {
    /// Sets every gradient to zero.
    public func zeroGrad() { parameters.zeroGrad() }
}
