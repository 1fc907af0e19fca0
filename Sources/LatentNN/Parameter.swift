import LatentAutodiff
import LatentTensor

/// A trainable tensor with a stable dotted name (`encoder.0.weight`), shared by the optimiser's state and
/// the checkpoint file.
public final class Parameter {
    /// The leaf variable ops read; rebound when parameters are packed into one flat buffer.
    public private(set) var variable: Variable

    public init(_ value: Tensor) {
        variable = Variable(value, requiresGrad: true)
    }

    public var value: Tensor { variable.value }
    public var grad: Tensor? { variable.grad }
    public var shape: Shape { variable.shape }

    /// Points this parameter at new value and gradient storage (views into flat blocks).
    func rebind(value: Tensor, grad: Tensor) {
        variable = Variable(parameter: value, grad: grad)
    }
}

/// Anything that owns parameters, directly or through children. Names follow PyTorch's `state_dict`.
public protocol Module: AnyObject {
    /// This module's parameters with names relative to it, children's prefixed by the child's name.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
}

extension Module {
    /// The parameters alone, in `namedParameters` order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Prefixes a child's parameter names: `prefix.name`.
public func prefixed(_ prefix: String, _ params: [(name: String, parameter: Parameter)]) -> [(name: String, parameter: Parameter)] {
    params.map { (name: prefix + "." + $0.name, parameter: $0.parameter) }
}
