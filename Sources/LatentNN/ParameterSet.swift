import LatentTensor

/// Every parameter of a model packed into one flat value buffer and one flat gradient buffer (llm.c's
/// layout): zeroing gradients is one fill, an optimiser step is one loop, and each parameter is a view.
///
/// Packing is idempotent: a module's parameters are moved into flat storage once, and a second
/// `ParameterSet(module)` views that same storage, so building another set (to count parameters, or for a
/// second optimiser) can never detach the model from the optimiser that trains it.
public final class ParameterSet {
    /// Names and parameters, in packing order.
    public let named: [(name: String, parameter: Parameter)]
    /// All values, concatenated in `named` order.
    public let values: Tensor
    /// All gradients, laid out like `values`.
    public let grads: Tensor

    /// The module's parameters in flat buffers: packed now (copying their current values and rebinding them to
    /// views) or, if they are already packed, the buffers they live in. Packing part of an already packed
    /// module (a child of it, say) is a programming error and traps: the child's views cannot move.
    public init(_ module: Module) {
        named = module.namedParameters
        if let existing = Self.packedSet(of: named) {
            values = existing.values
            grads = existing.grads
            return
        }
        precondition(
            named.allSatisfy { $0.parameter.packedInto == nil },
            "ParameterSet: some of these parameters are already packed with others; pack the whole model once")
        let total = named.reduce(0) { $0 + $1.parameter.value.count }
        values = Tensor(uninitialized: [total])
        grads = Tensor(zeros: [total])
        var offset = 0
        for (_, p) in named {
            let v = Tensor(viewing: values, offset: offset, shape: p.shape)
            v.copy(from: p.value)
            p.rebind(value: v, grad: Tensor(viewing: grads, offset: offset, shape: p.shape), set: self)
            offset += p.value.count
        }
    }

    /// A replica's parameters (same names and shapes as `primary`'s) bound to `primary`'s values, with a
    /// gradient buffer of their own: for data-parallel training, where each thread differentiates its part
    /// of the batch and the gradients are summed.
    public init(_ module: Module, sharingValuesOf primary: ParameterSet) {
        named = module.namedParameters
        precondition(named.map(\.name) == primary.named.map(\.name), "replica parameters differ from the primary's")
        precondition(named.allSatisfy { $0.parameter.packedInto == nil }, "ParameterSet: the replica is already packed")
        values = primary.values
        grads = Tensor(zeros: primary.grads.shape)
        var offset = 0
        for (_, p) in named {
            p.rebind(
                value: Tensor(viewing: values, offset: offset, shape: p.shape),
                grad: Tensor(viewing: grads, offset: offset, shape: p.shape), set: self)
            offset += p.value.count
        }
    }

    /// The set all of `named` are packed into, in this order, if there is one.
    private static func packedSet(of named: [(name: String, parameter: Parameter)]) -> ParameterSet? {
        guard let set = named.first?.parameter.packedInto, set.named.count == named.count else { return nil }
        for (a, b) in zip(set.named, named) where a.parameter !== b.parameter { return nil }
        return set
    }

    /// Number of scalars.
    public var count: Int { values.count }

    /// Sets every gradient to zero (once per step, before backward).
    public func zeroGrad() { grads.fill(0) }

    /// The span of the flat buffers holding the parameters named `prefix.…` (a child module's), nil if none; they
    /// are contiguous because a module's parameters are packed child by child.
    public func range(ofPrefix prefix: String) -> Range<Int>? {
        var offset = 0, found: Range<Int>?
        for (name, p) in named {
            let count = p.value.count
            if name.hasPrefix(prefix + ".") {
                found = (found?.lowerBound ?? offset)..<(offset + count)
            }
            offset += count
        }
        return found
    }

    /// The parameter with this name, if any.
    public subscript(name: String) -> Parameter? { named.first { $0.name == name }?.parameter }
}
