import Foundation
import LatentTensor

/// Elementwise functions of hyperbolic geometry (the Poincaré ball's maps and densities), computed per element in
/// double precision, and the row sums they need.
extension Variable {
    /// artanh of the values clamped to [−limit, limit] (as Pythae's `artanh`, whose clamp passes no gradient).
    public func artanh(limit: Float = 1 - 1e-5) -> Variable {
        let x = value, y = Tensor(uninitialized: shape)
        for i in 0..<x.count {
            y.data[i] = Float(Foundation.atanh(Double(Swift.min(limit, Swift.max(-limit, x.data[i])))))
        }
        return Variable(y, parents: [self]) { [self] g in
            let d = Tensor(uninitialized: shape)
            for i in 0..<x.count {
                let v = Double(x.data[i])
                d.data[i] = Swift.abs(v) > Double(limit) ? 0 : Float(Double(g.data[i]) / (1 - v * v))
            }
            accumulate(d)
        }
    }

    /// log(sinh(x)/x) of positive values (0 at 0); its derivative is coth x − 1/x.
    public func logSinhRatio() -> Variable {
        let x = value, y = Tensor(uninitialized: shape), slope = Tensor(uninitialized: shape)
        for i in 0..<x.count {
            let v = Double(x.data[i])
            if v < 1e-4 {  // the series: x²/6 and x/3
                (y.data[i], slope.data[i]) = (Float(v * v / 6), Float(v / 3))
            } else {
                let logSinh = v + Foundation.log1p(-Foundation.exp(-2 * v)) - M_LN2
                (y.data[i], slope.data[i]) = (Float(logSinh - Foundation.log(v)), Float(1 / Foundation.tanh(v) - 1 / v))
            }
        }
        return Variable(y, parents: [self]) { [self] g in accumulate(g * slope) }
    }

    /// max(x, floor) elementwise; the gradient passes where x ≥ floor (as torch's `clamp_min`).
    public func clampedBelow(_ floor: Float) -> Variable {
        let x = value, y = Tensor(uninitialized: shape)
        for i in 0..<x.count { y.data[i] = Swift.max(x.data[i], floor) }
        return Variable(y, parents: [self]) { [self] g in
            let d = Tensor(uninitialized: shape)
            for i in 0..<x.count { d.data[i] = x.data[i] >= floor ? g.data[i] : 0 }
            accumulate(d)
        }
    }

    /// Each row's sum: [n, m] → [n, 1].
    public func rowSums() -> Variable {
        let (n, m) = (shape[0], shape[1]), y = Tensor(uninitialized: [n, 1])
        for r in 0..<n { y.data[r] = (0..<m).reduce(Float(0)) { $0 + value.data[r * m + $1] } }
        return Variable(y, parents: [self]) { [self] g in accumulate(Tensor(zeros: shape) + g) }
    }
}
