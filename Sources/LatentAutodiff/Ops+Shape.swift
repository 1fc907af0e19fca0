import LatentTensor

extension Variable {
    /// Joins rank-2 variables side by side: [n, p] and [n, q] → [n, p + q] (the CVAE's label input).
    public static func concatColumns(_ a: Variable, _ b: Variable) -> Variable {
        precondition(
            a.shape.rank == 2 && b.shape.rank == 2 && a.shape[0] == b.shape[0],
            "concatColumns of \(a.shape) and \(b.shape)")
        let n = a.shape[0], p = a.shape[1], q = b.shape[1]
        let y = Tensor(uninitialized: [n, p + q])
        for r in 0..<n {
            (y.data + r * (p + q)).update(from: a.value.data + r * p, count: p)
            (y.data + r * (p + q) + p).update(from: b.value.data + r * q, count: q)
        }
        return Variable(y, parents: [a, b]) { g in
            if a.requiresGrad {
                let da = Tensor(uninitialized: a.shape)
                for r in 0..<n { (da.data + r * p).update(from: g.data + r * (p + q), count: p) }
                a.accumulate(da)
            }
            if b.requiresGrad {
                let db = Tensor(uninitialized: b.shape)
                for r in 0..<n { (db.data + r * q).update(from: g.data + r * (p + q) + p, count: q) }
                b.accumulate(db)
            }
        }
    }

    /// Stacks rank-2 variables: [m, d] and [n, d] → [m + n, d].
    public static func concatRows(_ a: Variable, _ b: Variable) -> Variable {
        precondition(
            a.shape.rank == 2 && b.shape.rank == 2 && a.shape[1] == b.shape[1],
            "concatRows of \(a.shape) and \(b.shape)")
        let (m, n, d) = (a.shape[0], b.shape[0], a.shape[1])
        let y = Tensor(uninitialized: [m + n, d])
        y.data.update(from: a.value.data, count: m * d)
        (y.data + m * d).update(from: b.value.data, count: n * d)
        return Variable(y, parents: [a, b]) { g in
            if a.requiresGrad { a.accumulate(g.rows(0..<m).copy()) }
            if b.requiresGrad { b.accumulate(g.rows(m..<(m + n)).copy()) }
        }
    }
}
