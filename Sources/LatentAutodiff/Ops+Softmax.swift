import LatentTensor

extension Variable {
    /// Cross-entropy of integer class labels under softmax(logits), fused for stability (log-sum-exp with
    /// the row maximum subtracted) and speed (the gradient softmax − onehot comes from the forward pass).
    public static func softmaxCrossEntropy(_ logits: Variable, labels: [Int], reduction: Reduction = .mean) -> Variable
    {
        precondition(
            logits.shape.rank == 2 && logits.shape[0] == labels.count,
            "softmax CE: logits \(logits.shape), \(labels.count) labels")
        let n = logits.shape[0], c = logits.shape[1]
        let p = Tensor(uninitialized: logits.shape)
        var total = 0.0
        for r in 0..<n {
            let x = logits.value.data + r * c, pr = p.data + r * c
            precondition(labels[r] >= 0 && labels[r] < c, "label \(labels[r]) out of range 0..<\(c)")
            let (m, logSum) = softmaxRow(x, into: pr, c)
            total += Double(m + logSum - x[labels[r]])
            pr[labels[r]] -= 1
        }
        let scale: Float = reduction == .mean ? 1 / Float(n) : 1
        return Variable(Tensor(scalar: Float(total) * scale), parents: [logits]) { g in
            p.scale(by: g.scalar * scale)
            logits.accumulate(p)
        }
    }
}

extension Variable {
    /// log softmax of each row of a rank-2 variable: x − max − log Σ exp(x − max). The pullback is
    /// g − softmax·Σg per row (the softmax kept from the forward pass).
    public func logSoftmaxRows() -> Variable {
        precondition(shape.rank == 2, "logSoftmaxRows needs [rows, columns], got \(shape)")
        let n = shape[0], c = shape[1]
        let y = Tensor(uninitialized: shape), p = Tensor(uninitialized: shape)
        for r in 0..<n {
            let x = value.data + r * c, pr = p.data + r * c, yr = y.data + r * c
            let (m, logSum) = softmaxRow(x, into: pr, c)
            for j in 0..<c { yr[j] = (x[j] - m) - logSum }
        }
        return Variable(y, parents: [self]) { [self] g in
            let dx = Tensor(uninitialized: shape)
            for r in 0..<n {
                let gr = g.data + r * c, pr = p.data + r * c, d = dx.data + r * c
                var s: Float = 0
                for j in 0..<c { s += gr[j] }
                for j in 0..<c { d[j] = gr[j] - pr[j] * s }
            }
            accumulate(dx)
        }
    }
}

/// The softmax of the `c` values at `x` into `p`, the row maximum m subtracted first; returns m and
/// log Σ exp(x − m).
private func softmaxRow(
    _ x: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, _ c: Int
) -> (max: Float, logSum: Float) {
    var m = -Float.infinity
    for j in 0..<c { m = max(m, x[j]) }
    for j in 0..<c { p[j] = x[j] - m }
    VectorMath.exp(p, p, c)
    var s: Float = 0
    for j in 0..<c { s += p[j] }
    let inv = 1 / s
    for j in 0..<c { p[j] *= inv }
    return (m, VectorMath.log(s))
}
