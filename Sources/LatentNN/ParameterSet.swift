import LatentTensor

/// Every parameter of a model packed into one flat value buffer and one flat gradient buffer (llm.c's
/// layout): zeroing gradients is one fill, an optimiser step is one loop, and each parameter is a view.
public final class ParameterSet {
    /// Names and parameters, in packing order.
    public let named: [(name: String, parameter: Parameter)]
    /// All values, concatenated in `named` order.
    public let values: Tensor
    /// All gradients, laid out like `values`.
    public let grads: Tensor

    /// Packs the module's parameters (copying their current values) and rebinds them to the flat buffers.
    public init(_ module: Module) {
        named = module.namedParameters
        let total = named.reduce(0) { $0 + $1.parameter.value.count }
        values = Tensor(uninitialized: [total])
        grads = Tensor(zeros: [total])
        var offset = 0
        for (_, p) in named {
            let n = p.value.count
            let v = Tensor(viewing: values, offset: offset, shape: p.shape)
            v.copy(from: p.value)
            p.rebind(value: v, grad: Tensor(viewing: grads, offset: offset, shape: p.shape))
            offset += n
        }
    }

    /// A replica's parameters (same names and shapes as `primary`'s) bound to `primary`'s values, with a
    /// gradient buffer of their own: for data-parallel training, where each thread differentiates its part
    /// of the batch and the gradients are summed.
    public init(_ module: Module, sharingValuesOf primary: ParameterSet) {
        named = module.namedParameters
        precondition(named.map(\.name) == primary.named.map(\.name), "replica parameters differ from the primary's")
        values = primary.values
        grads = Tensor(zeros: primary.grads.shape)
        var offset = 0
        for (_, p) in named {
            p.rebind(value: Tensor(viewing: values, offset: offset, shape: p.shape),
                     grad: Tensor(viewing: grads, offset: offset, shape: p.shape))
            offset += p.value.count
        }
    }

    public var count: Int { values.count }

    /// Sets every gradient to zero (once per step, before backward).
    public func zeroGrad() { grads.fill(0) }

    /// The parameter with this name, if any.
    public subscript(name: String) -> Parameter? { named.first { $0.name == name }?.parameter }
}
