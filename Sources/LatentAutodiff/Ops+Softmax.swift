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
            var m = -Float.infinity
            for j in 0..<c { m = max(m, x[j]) }
            for j in 0..<c { pr[j] = x[j] - m }
            VectorMath.exp(pr, pr, c)
            var s: Float = 0
            for j in 0..<c { s += pr[j] }
            total += Double(m + VectorMath.log(s) - x[labels[r]])
            let inv = 1 / s
            for j in 0..<c { pr[j] *= inv }
            pr[labels[r]] -= 1
        }
        let scale: Float = reduction == .mean ? 1 / Float(n) : 1
        return Variable(Tensor(scalar: Float(total) * scale), parents: [logits]) { g in
            p.scale(by: g.scalar * scale)
            logits.accumulate(p)
        }
    }
}
