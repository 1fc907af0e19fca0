import LatentAutodiff

/// Anything that owns parameters, directly or through children. Names follow PyTorch's `state_dict`.
public protocol Module: AnyObject {
    /// This module's parameters with names relative to it, children's prefixed by the child's name.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// State that is saved but not trained (BatchNorm's running statistics), named as in `state_dict`.
    var namedBuffers: [(name: String, parameter: Parameter)] { get }
    /// Switches layers that behave differently in training and evaluation (BatchNorm), as PyTorch's
    /// `train()`/`eval()`; a new module is in training mode.
    func setTraining(_ on: Bool)
    /// The modules this one is made of (for walks such as `layers(of:)`).
    var children: [any Module] { get }
}

extension Module {
    /// No buffers.
    public var namedBuffers: [(name: String, parameter: Parameter)] { [] }
    /// Nothing to switch.
    public func setTraining(_ on: Bool) {}
    /// No children.
    public var children: [any Module] { [] }

    /// Every module of type `T` in this one, depth first, in `children` order.
    public func layers<T>(of type: T.Type) -> [T] {
        ((self as? T).map { [$0] } ?? []) + children.flatMap { $0.layers(of: type) }
    }

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
