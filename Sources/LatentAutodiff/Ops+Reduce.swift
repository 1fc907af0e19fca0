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
