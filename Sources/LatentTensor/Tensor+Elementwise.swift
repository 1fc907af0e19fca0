/// Elementwise binary kernels. Each is a type so that the generic loops below specialise into plain
/// vectorisable loops (no closure call per element).
@usableFromInline package protocol BinaryKernel {
    static func apply(_ a: Float, _ b: Float) -> Float
}

@usableFromInline package enum AddKernel: BinaryKernel {
    @inlinable @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}
@usableFromInline package enum SubKernel: BinaryKernel {
    @inlinable @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}
@usableFromInline package enum MulKernel: BinaryKernel {
    @inlinable @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}
@usableFromInline package enum DivKernel: BinaryKernel {
    @inlinable @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}
@usableFromInline package enum MaxKernel: BinaryKernel {
    @inlinable @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) }
}
@usableFromInline package enum MinKernel: BinaryKernel {
    @inlinable @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { Swift.min(a, b) }
}

// The generic loops are @inlinable so that every caller, in any module, gets them specialised for its kernel.
extension Tensor {
    /// `K(a, b)` with NumPy broadcasting, into a new tensor of the broadcast shape.
    @inlinable package static func binary<K: BinaryKernel>(_ kernel: K.Type, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = Tensor(uninitialized: shape)
        binary(kernel, a, b, into: out)
        return out
    }

    /// `K(a, b)` with broadcasting into `out`, which has the broadcast shape (and may be `a` itself).
    @inlinable package static func binary<K: BinaryKernel>(_ kernel: K.Type, _ a: Tensor, _ b: Tensor, into out: Tensor)
    {
        let n = out.count
        let o = out.data, x = a.data, y = b.data
        if a.count == n && b.count == n {
            for i in 0..<n { o[i] = K.apply(x[i], y[i]) }
        } else if a.count == n && b.count == 1 {
            let s = y[0]
            for i in 0..<n { o[i] = K.apply(x[i], s) }
        } else if a.count == 1 && b.count == n {
            let s = x[0]
            for i in 0..<n { o[i] = K.apply(s, y[i]) }
        } else if a.count == n && out.shape.rank >= 1 && b.count == out.shape[out.shape.rank - 1]
            && b.shape.dimensions.last == b.count
        {
            // [.., M] ∘ [M]: a row vector broadcast over every row (bias-like).
            let m = b.count
            for r in 0..<(n / Swift.max(m, 1)) {
                let orow = o + r * m, xrow = x + r * m
                for j in 0..<m { orow[j] = K.apply(xrow[j], y[j]) }
            }
        } else {
            generalBinary(kernel, a, b, out)
        }
    }

    @inlinable static func generalBinary<K: BinaryKernel>(_: K.Type, _ a: Tensor, _ b: Tensor, _ out: Tensor) {
        let (d0, d1, d2, d3) = out.shape.padded4
        let sa = a.shape.broadcastStrides(to: out.shape), sb = b.shape.broadcastStrides(to: out.shape)
        var k = 0
        for i0 in 0..<d0 {
            for i1 in 0..<d1 {
                for i2 in 0..<d2 {
                    let ra = i0 * sa.0 + i1 * sa.1 + i2 * sa.2, rb = i0 * sb.0 + i1 * sb.1 + i2 * sb.2
                    for i3 in 0..<d3 {
                        out.data[k] = K.apply(a.data[ra + i3 * sa.3], b.data[rb + i3 * sb.3])
                        k += 1
                    }
                }
            }
        }
    }

    /// Elementwise sum, broadcasting `b` over leading axes.
    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(AddKernel.self, a, b) }
    /// Elementwise difference, broadcasting `b`.
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(SubKernel.self, a, b) }
    /// Elementwise product, broadcasting `b`.
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(MulKernel.self, a, b) }
    /// Elementwise quotient, broadcasting `b`.
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(DivKernel.self, a, b) }
    /// Every element times `s`.
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(by: s) }

    /// self += other (same shape, or broadcast into self's shape).
    public func add(_ other: Tensor) { Tensor.binary(AddKernel.self, self, other, into: self) }

    /// self += alpha * other, same count (BLAS-style axpy).
    public func add(_ other: Tensor, scaledBy alpha: Float) {
        precondition(other.count == count, "axpy of \(other.shape) into \(shape)")
        let y = data, x = other.data
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// self *= s.
    public func scale(by s: Float) {
        let y = data
        for i in 0..<count { y[i] *= s }
    }

    /// A copy with every element times `s`.
    public func scaled(by s: Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let y = out.data, x = data
        for i in 0..<count { y[i] = x[i] * s }
        return out
    }

    /// A copy with `s` added to every element.
    public func adding(_ s: Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let y = out.data, x = data
        for i in 0..<count { y[i] = x[i] + s }
        return out
    }
}

/// Elementwise unary functions; the transcendental ones go through SLEEF.
public enum UnaryFunction: Sendable {
    case negate, exp, log, log1p, tanh, sigmoid, relu, square, sqrt, abs
    case leakyRelu(slope: Float)
    /// log(1 + exp(x)), computed without overflow.
    case softplus
}

extension Tensor {
    /// f(self) into a new tensor.
    public func map(_ f: UnaryFunction) -> Tensor {
        let out = Tensor(uninitialized: shape)
        Tensor.apply(f, self, into: out)
        return out
    }

    /// f(x) into `out` (same count; may be `x` itself).
    public static func apply(_ f: UnaryFunction, _ x: Tensor, into out: Tensor) {
        precondition(x.count == out.count, "unary op from \(x.shape) into \(out.shape)")
        f.apply(x.data, out.data, x.count)
    }
}

extension UnaryFunction {
    /// y[i] = f(x[i]) for n elements; `x` and `y` may be the same buffer. Allocates nothing.
    public func apply(_ a: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .negate: for i in 0..<n { y[i] = -a[i] }
        case .exp: VectorMath.exp(a, y, n)
        case .log: VectorMath.log(a, y, n)
        case .log1p: VectorMath.log1p(a, y, n)
        case .tanh: VectorMath.tanh(a, y, n)
        case .sigmoid: VectorMath.sigmoid(a, y, n)
        case .relu: for i in 0..<n { y[i] = Swift.max(a[i], 0) }
        case .square: for i in 0..<n { y[i] = a[i] * a[i] }
        case .sqrt: for i in 0..<n { y[i] = a[i].squareRoot() }
        case .abs: for i in 0..<n { y[i] = Swift.abs(a[i]) }
        case .leakyRelu(let s): for i in 0..<n { y[i] = a[i] > 0 ? a[i] : s * a[i] }
        case .softplus:
            // softplus(x) = max(x, 0) + log1p(exp(-|x|)), a block at a time (x may be y).
            VectorMath.inBlocks(n) { start, len, t in
                for i in 0..<len { t[i] = -Swift.abs(a[start + i]) }
                VectorMath.exp(t, t, len)
                VectorMath.log1p(t, t, len)
                for i in 0..<len { y[start + i] = Swift.max(a[start + i], 0) + t[i] }
            }
        }
    }
}

extension UnaryFunction {
    /// d[i] = g[i] · f′(x[i]) for the activation functions, the chain rule of the backward pass: from the
    /// output y = f(x) for relu (y > 0 exactly where x > 0), tanh (1 − y²) and sigmoid (y(1 − y)); from the
    /// input x for leaky ReLU and softplus (sigmoid(x)). `d` may be `g`. Allocates nothing.
    public func chainDerivative(
        _ g: UnsafePointer<Float>, input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        into d: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        switch self {
        case .relu:
            var i = 0
            while i + 8 <= n {
                store8(load8(g + i).replacing(with: 0, where: load8(y + i) .<= 0), d + i)
                i += 8
            }
            while i < n {
                d[i] = y[i] <= 0 ? 0 : g[i]
                i += 1
            }
        case .leakyRelu(let slope): for i in 0..<n { d[i] = x[i] > 0 ? g[i] : slope * g[i] }
        case .tanh: for i in 0..<n { d[i] = g[i] * (1 - y[i] * y[i]) }
        case .sigmoid: for i in 0..<n { d[i] = g[i] * y[i] * (1 - y[i]) }
        case .softplus:
            VectorMath.inBlocks(n) { start, len, t in
                VectorMath.sigmoid(x + start, t, len)
                for i in 0..<len { d[start + i] = g[start + i] * t[i] }
            }
        default: preconditionFailure("chainDerivative: \(self) is not an activation function")
        }
    }
}
