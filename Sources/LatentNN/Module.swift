import LatentAutodiff

/// Anything that owns parameters, directly or through children. Names follow PyTorch's `state_dict`.
/// A module states its tree once, explicitly (`namedChildren`, as mlx's `children()`, no reflection); its
/// parameters, buffers and training mode are derived from that, so a child cannot be left out of one of them.
public protocol Module: AnyObject {
    /// The modules this one is made of, in order, each with the name that prefixes its parameters ("" for none).
    var namedChildren: [(name: String, module: any Module)] { get }
    /// The parameters this module holds itself (its children's come from `namedChildren`).
    var ownParameters: [(name: String, parameter: Parameter)] { get }
    /// Saved state it holds itself, not trained (BatchNorm's running statistics), named as in `state_dict`.
    var ownBuffers: [(name: String, parameter: Parameter)] { get }
    /// Switches its own behaviour between training and evaluation (BatchNorm); `setTraining` also switches
    /// every child.
    func setOwnTraining(_ on: Bool)
}

extension Module {
    /// No children.
    public var namedChildren: [(name: String, module: any Module)] { [] }
    /// No parameters of its own.
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    /// No buffers of its own.
    public var ownBuffers: [(name: String, parameter: Parameter)] { [] }
    /// Nothing of its own to switch.
    public func setOwnTraining(_ on: Bool) {}

    /// Every parameter with its `state_dict` name: the children's, prefixed by their names, then its own.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        namedChildren.flatMap { child in prefixed(child.name, child.module.namedParameters) } + ownParameters
    }

    /// Every buffer with its `state_dict` name: the children's, prefixed by their names, then its own.
    public var namedBuffers: [(name: String, parameter: Parameter)] {
        namedChildren.flatMap { child in prefixed(child.name, child.module.namedBuffers) } + ownBuffers
    }

    /// Switches this module and every module in it, as PyTorch's `train()`/`eval()`; a new module trains.
    public func setTraining(_ on: Bool) {
        setOwnTraining(on)
        for child in namedChildren { child.module.setTraining(on) }
    }

    /// The modules this one is made of (for walks such as `layers(of:)`).
    public var children: [any Module] { namedChildren.map(\.module) }

    /// Every module of type `T` in this one, depth first, in `children` order.
    public func layers<T>(of type: T.Type) -> [T] {
        ((self as? T).map { [$0] } ?? []) + children.flatMap { $0.layers(of: type) }
    }

    /// The parameters alone, in `namedParameters` order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Prefixes a child's parameter names: `prefix.name` (the names unchanged for an empty prefix).
public func prefixed(
    _ prefix: String, _ params: [(name: String, parameter: Parameter)]
) -> [(name: String, parameter: Parameter)] {
    prefix.isEmpty ? params : params.map { (name: prefix + "." + $0.name, parameter: $0.parameter) }
}

/// A layer: a module applied to a batch.
public protocol Layer: Module {
    /// Applies the layer to a batch.
    func callAsFunction(_ x: Variable) -> Variable
    /// Applies the layer with its parameters as constants: gradients reach `x`, not the layer (a discriminator
    /// judging a generator's output, as PyTorch's `requires_grad_(False)` for one pass).
    func frozen(_ x: Variable) -> Variable
}

extension Layer {
    /// A layer without parameters is the same frozen or not.
    public func frozen(_ x: Variable) -> Variable {
        precondition(namedParameters.isEmpty, "\(type(of: self)) has parameters: it must define `frozen`")
        return self(x)
    }
}
