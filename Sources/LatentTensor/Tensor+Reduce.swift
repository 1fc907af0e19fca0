extension Tensor {
    /// Sum of all elements (accumulated in double precision).
    public func sum() -> Float { Float(VectorMath.sum(data, count)) }

    /// Mean of all elements.
    public func mean() -> Float { Float(VectorMath.sum(data, count) / Double(Swift.max(count, 1))) }

    /// Column sums of a [N, M] tensor (or any tensor read as rows of its last axis): shape [M].
    public func sumRows() -> Tensor {
        let m = shape.rank == 0 ? 1 : shape[shape.rank - 1]
        let out = Tensor(zeros: [m])
        sumRows(into: out, accumulate: true)
        return out
    }

    /// out (+)= column sums, reading self as rows of length out.count.
    public func sumRows(into out: Tensor, accumulate: Bool) {
        let m = out.count
        precondition(m > 0 && count % m == 0, "sumRows of \(shape) into \(out.shape)")
        if !accumulate { out.fill(0) }
        let y = out.data
        for r in 0..<(count / m) {
            let row = data + r * m
            for j in 0..<m { y[j] += row[j] }
        }
    }

    /// Reduces a tensor of a broadcast shape back to `target` by summing over the broadcast axes: the
    /// gradient rule for every broadcasting op.
    public func sum(toShape target: Shape) -> Tensor {
        if target == shape { return self }
        if target.count == 1 { return Tensor(scalar: sum()).reshaped(target) }
        if let last = target.dimensions.last, target.count == last, shape.rank >= 1, shape[shape.rank - 1] == last {
            return sumRows().reshaped(target)
        }
        let out = Tensor(zeros: target)
        let (d0, d1, d2, d3) = shape.padded4
        let st = target.broadcastStrides(to: shape)
        var k = 0
        for i0 in 0..<d0 {
            for i1 in 0..<d1 {
                for i2 in 0..<d2 {
                    for i3 in 0..<d3 {
                        out.data[i0 * st.0 + i1 * st.1 + i2 * st.2 + i3 * st.3] += data[k]
                        k += 1
                    }
                }
            }
        }
        return out
    }

    /// Index of the largest element in each row of a [N, M] tensor.
    public func argmaxRows() -> [Int] {
        let m = shape[shape.rank - 1]
        return (0..<(count / m)).map { r in
            var best = 0
            for j in 1..<m where data[r * m + j] > data[r * m + best] { best = j }
            return best
        }
    }
}
