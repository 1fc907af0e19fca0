import LatentNN
import LatentTensor

/// Updates a model's parameters from their gradients. Optimisers work on a `ParameterSet`'s flat buffers,
/// so one step is one loop over all parameters. Any optimiser works with the fast training step: it sums
/// the data-parallel workers' gradient buffers (`additionalGradients`) into its update.
public protocol Optimizer: AnyObject {
    /// The flat parameters and gradients it updates.
    var parameters: ParameterSet { get }
    /// Learning rate, changeable between steps.
    var learningRate: Float { get set }
    /// Gradient buffers laid out like `parameters.grads` whose sum with it is the gradient (data-parallel
    /// workers write their own); empty by default.
    var additionalGradients: [Tensor] { get set }
    /// Threads the update may be split over.
    var workers: Int { get set }
    /// Applies one update from the current gradients.
    func step()
}

extension Optimizer {
    /// Sets every gradient to zero.
    public func zeroGrad() { parameters.zeroGrad() }
}
