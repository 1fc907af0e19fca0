import LatentTensor

/// Matrix products: forward is one GEMM; the pullbacks are two more, with transposes as BLAS flags.
extension Variable {
    /// op(a) · op(b) for rank-2 variables.
    public static func matmul(
        _ a: Variable, transposeA: Bool = false, _ b: Variable, transposeB: Bool = false
    ) -> Variable {
        let y = Tensor.matmul(a.value, transposeA: transposeA, b.value, transposeB: transposeB)
        return Variable(y, parents: [a, b]) { g in
            // C = A·B: dA = G·Bᵀ, dB = Aᵀ·G (with the transposes folded into the flags).
            if a.requiresGrad {
                let da =
                    transposeA
                    ? Tensor.matmul(b.value, transposeA: transposeB, g, transposeB: true)
                    : Tensor.matmul(g, b.value, transposeB: !transposeB)
                a.accumulate(da)
            }
            if b.requiresGrad {
                let db =
                    transposeB
                    ? Tensor.matmul(g, transposeA: true, a.value, transposeB: transposeA)
                    : Tensor.matmul(a.value, transposeA: !transposeA, g)
                b.accumulate(db)
            }
        }
    }

    /// Fused linear layer, y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout). Why fused: the bias
    /// is written as GEMM's initial C (beta = 1), and the weight gradient is accumulated by GEMM straight
    /// into the parameter's gradient buffer, with no temporaries.
    public static func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
        let n = x.shape[0], outFeatures = weight.shape[0]
        let y = Tensor(uninitialized: [n, outFeatures])
        if let bias {
            for r in 0..<n { (y.data + r * outFeatures).update(from: bias.value.data, count: outFeatures) }
        }
        Tensor.gemm(x.value, weight.value, transposeB: true, into: y, beta: bias == nil ? 0 : 1)
        var parents = [x, weight]
        if let bias { parents.append(bias) }
        return Variable(y, parents: parents) { g in
            // g: [n, out]. dx = g·W [n, in]; dW = gᵀ·x [out, in]; db = Σ_rows g [out].
            if x.requiresGrad { x.accumulate(Tensor.matmul(g, weight.value)) }
            if weight.requiresGrad {
                if let wg = weight.grad {
                    Tensor.gemm(g, transposeA: true, x.value, into: wg, beta: 1)
                } else {
                    weight.accumulate(Tensor.matmul(g, transposeA: true, x.value))
                }
            }
            if let bias, bias.requiresGrad {
                if let bg = bias.grad { g.sumRows(into: bg, accumulate: true) } else { bias.accumulate(g.sumRows()) }
            }
        }
    }
}
