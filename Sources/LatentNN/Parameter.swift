import LatentAutodiff
import LatentTensor

/// A trainable tensor with a stable dotted name (`encoder.0.weight`), shared by the optimiser's state and
/// the checkpoint file.
public final class Parameter {
    /// The leaf variable ops read; rebound when parameters are packed into one flat buffer.
    public private(set) var variable: Variable
    /// The flat set this parameter's storage belongs to, once packed (a parameter is packed at most once).
    weak var packedInto: ParameterSet?

    /// A parameter holding `value` (trainable: it gets a gradient).
    public init(_ value: Tensor) {
        variable = Variable(value, requiresGrad: true)
    }

    /// The current value.
    public var value: Tensor { variable.value }
    /// The gradient accumulated since it was last zeroed.
    public var grad: Tensor? { variable.grad }
    /// The value's shape.
    public var shape: Shape { variable.shape }

    /// Points this parameter at new value and gradient storage (views into the flat blocks of `set`).
    func rebind(value: Tensor, grad: Tensor, set: ParameterSet) {
        variable = Variable(parameter: value, grad: grad)
        packedInto = set
    }
}
