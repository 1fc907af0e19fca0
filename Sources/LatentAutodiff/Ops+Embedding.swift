import LatentTensor

extension Variable {
    /// A linear layer of one-hot rows, as a lookup: row r is column `indices[r]` of `weight` [out, classes]
    /// (PyTorch's layout) plus `bias` — what `linear(oneHot(indices), weight, bias)` computes without the
    /// [n, classes] one-hot matrix or its product. The pullback adds each row's gradient to its column and sums the
    /// rows into the bias.
    public static func embedding(_ indices: [Int], weight: Variable, bias: Variable?) -> Variable {
        let (out, classes) = (weight.shape[0], weight.shape[1]), n = indices.count
        precondition(indices.allSatisfy { (0..<classes).contains($0) }, "embedding: an index is not below \(classes)")
        let y = Tensor(uninitialized: [n, out])
        let w = weight.value.data, yp = y.data
        for (r, j) in indices.enumerated() {
            for o in 0..<out { yp[r * out + o] = w[o * classes + j] }
            if let bias { VectorMath.add(bias.value.data, into: yp + r * out, out) }
        }
        var parents = [weight]
        if let bias { parents.append(bias) }
        return Variable(y, parents: parents) { g in
            if weight.requiresGrad {
                // Into the parameter's own gradient where it has one (as `linear`), else a new one.
                let d = weight.grad ?? Tensor(zeros: weight.shape), dp = d.data, gp = g.data
                for (r, j) in indices.enumerated() { for o in 0..<out { dp[o * classes + j] += gp[r * out + o] } }
                if weight.grad == nil { weight.accumulate(d) }
            }
            if let bias, bias.requiresGrad {
                if let bg = bias.grad { g.sumRows(into: bg, accumulate: true) } else { bias.accumulate(g.sumRows()) }
            }
        }
    }
}
