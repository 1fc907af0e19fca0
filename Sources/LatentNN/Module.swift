import LatentAutodiff

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
public func prefixed(
    _ prefix: String, _ params: [(name: String, parameter: Parameter)]
) -> [(name: String, parameter: Parameter)] {
    params.map { (name: prefix + "." + $0.name, parameter: $0.parameter) }
}

/// A layer: a module applied to a batch.
public protocol Layer: Module {
    func callAsFunction(_ x: Variable) -> Variable
}
