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

extension Variable {
    /// Σ v² over every element of every variable (an L2 penalty on parameters), without intermediate tensors: the
    /// pullback adds 2·g·v into each variable's gradient buffer in place.
    public static func sumOfSquares(_ variables: [Variable]) -> Variable {
        var total = 0.0
        for v in variables {
            let p = v.value.data, n = v.value.count
            var acc = SIMD16<Float>(), i = 0
            while i + 16 <= n {
                let x = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
                acc += x * x
                i += 16
            }
            var tail: Float = 0
            while i < n {
                tail += p[i] * p[i]
                i += 1
            }
            total += Double(acc.sum()) + Double(tail)
        }
        return Variable(Tensor(scalar: Float(total)), parents: variables) { g in
            let s = 2 * g.scalar
            for v in variables where v.requiresGrad {
                if let grad = v.grad { grad.add(v.value, scaledBy: s) } else { v.accumulate(v.value * s) }
            }
        }
    }
}
