import LatentTensor

extension Variable {
    /// Sum of all elements, as a scalar.
    public func sum() -> Variable {
        Variable(Tensor(scalar: value.sum()), parents: [self]) { [self] g in
            accumulate(Tensor(repeating: g.scalar, shape: shape))
        }
    }

    /// Mean of all elements, as a scalar.
    public func mean() -> Variable {
        let n = Float(value.count)
        return Variable(Tensor(scalar: value.mean()), parents: [self]) { [self] g in
            accumulate(Tensor(repeating: g.scalar / n, shape: shape))
        }
    }

    /// Sums over every axis but the last: [N, M] → [M].
    public func sumRows() -> Variable {
        Variable(value.sumRows(), parents: [self]) { [self] g in
            accumulate(Tensor(zeros: shape) + g)  // broadcast [M] over the rows
        }
    }

    /// The same values under another shape (a view).
    public func reshaped(_ newShape: Shape) -> Variable {
        Variable(value.reshaped(newShape), parents: [self]) { [self] g in accumulate(g.copy().reshaped(shape)) }
    }
}

extension Variable {
    /// Σ self·c over every element, for constant coefficients c of the same shape: with c a gradient computed
    /// elsewhere, differentiating this passes c on into the graph (how a data-parallel worker receives its share
    /// of a batch-coupled term's gradient).
    public func innerProduct(_ c: Tensor) -> Variable {
        precondition(c.shape == shape, "innerProduct: \(shape) vs coefficients \(c.shape)")
        var total = 0.0
        for i in 0..<value.count { total += Double(value.data[i]) * Double(c.data[i]) }
        return Variable(Tensor(scalar: Float(total)), parents: [self]) { [self] g in accumulate(c * g.scalar) }
    }
}
