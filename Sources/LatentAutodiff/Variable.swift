import LatentTensor

/// A node of the autodiff graph: a tensor value, the gradient accumulated into it, and how to pass a
/// gradient on to the values it was computed from.
///
/// Operations on variables record themselves as they run (define-by-run, like PyTorch); `backward()` on a
/// scalar result walks the recorded graph in reverse and accumulates gradients with `+=` into every
/// variable that requires them. An op whose inputs need no gradient records nothing, so evaluation
/// builds no graph.
public final class Variable {
    /// The forward value.
    public let value: Tensor
    /// The accumulated gradient, same shape as `value`; nil until something flows into it.
    public var grad: Tensor?
    /// Whether gradients flow into this variable (parameters, and everything computed from them).
    public let requiresGrad: Bool
    let parents: [Variable]
    /// Given the gradient of this node, accumulates the parents' gradients.
    let pullback: ((Tensor) -> Void)?

    /// A leaf: an input (requiresGrad false) or a trainable parameter.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        parents = []
        pullback = nil
    }

    /// A parameter leaf whose gradient accumulates into the given buffer (a view of a flat gradient block).
    public init(parameter value: Tensor, grad: Tensor) {
        precondition(grad.shape == value.shape, "gradient \(grad.shape) for parameter \(value.shape)")
        self.value = value
        self.grad = grad
        requiresGrad = true
        parents = []
        pullback = nil
    }

    /// An op result. `pullback` is kept only if some parent requires a gradient.
    public init(_ value: Tensor, parents: [Variable], pullback: @escaping (Tensor) -> Void) {
        self.value = value
        let needs = parents.contains { $0.requiresGrad }
        requiresGrad = needs
        self.parents = needs ? parents : []
        self.pullback = needs ? pullback : nil
    }

    /// The value's shape.
    public var shape: Shape { value.shape }

    /// Adds `g` into this variable's gradient. `g` must not be used by anyone else afterwards, as it may be
    /// adopted as the gradient buffer itself.
    public func accumulate(_ g: Tensor) {
        guard requiresGrad else { return }
        if let existing = grad { existing.add(g) } else { grad = g }
    }

    /// Reverse-mode differentiation from this scalar: seeds d(self)/d(self) = 1 and accumulates the gradient
    /// of every variable that requires one.
    public func backward() {
        precondition(value.count == 1, "backward() needs a scalar, got shape \(value.shape)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        accumulate(Tensor(repeating: 1, shape: value.shape))
        for node in order.reversed() {
            guard let pullback = node.pullback, let g = node.grad else { continue }
            pullback(g)
            // Intermediate gradients are dead once passed on; free them early to keep memory flat.
            node.grad = nil
        }
    }

    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for p in node.parents where p.requiresGrad && p.pullback != nil { stack.append((p, false)) }
        }
        return order
    }
}
