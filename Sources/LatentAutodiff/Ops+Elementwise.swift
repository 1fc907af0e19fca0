import LatentTensor

// Elementwise ops: forward kernel and pullback side by side. Broadcasting ops reduce their gradients
// back to each operand's shape (`sum(toShape:)`).

/// Elementwise sum (broadcasting `b`); the pullback sums the gradient over broadcast axes.
public func + (a: Variable, b: Variable) -> Variable {
    Variable(a.value + b.value, parents: [a, b]) { g in
        // The same gradient goes to both: give b its own copy, since accumulate may adopt the buffer.
        if a.requiresGrad {
            a.accumulate(a.shape == g.shape ? (b.requiresGrad ? g.copy() : g) : g.sum(toShape: a.shape))
        }
        if b.requiresGrad { b.accumulate(b.shape == g.shape ? g : g.sum(toShape: b.shape)) }
    }
}

/// Elementwise difference (broadcasting `b`).
public func - (a: Variable, b: Variable) -> Variable {
    Variable(a.value - b.value, parents: [a, b]) { g in
        if b.requiresGrad { b.accumulate(g.scaled(by: -1).sum(toShape: b.shape)) }
        // After b's use of g: a may adopt it.
        if a.requiresGrad { a.accumulate(a.shape == g.shape ? g : g.sum(toShape: a.shape)) }
    }
}

/// Elementwise product (broadcasting `b`).
public func * (a: Variable, b: Variable) -> Variable {
    Variable(a.value * b.value, parents: [a, b]) { g in
        if a.requiresGrad { a.accumulate((g * b.value).sum(toShape: a.shape)) }
        if b.requiresGrad { b.accumulate((g * a.value).sum(toShape: b.shape)) }
    }
}

/// Elementwise quotient (broadcasting `b`).
public func / (a: Variable, b: Variable) -> Variable {
    let y = a.value / b.value
    return Variable(y, parents: [a, b]) { g in
        if a.requiresGrad { a.accumulate((g / b.value).sum(toShape: a.shape)) }
        // d(a/b)/db = -a/b² = -y/b
        if b.requiresGrad { b.accumulate((g * y / b.value).scaled(by: -1).sum(toShape: b.shape)) }
    }
}

/// Every element times a constant.
public func * (a: Variable, s: Float) -> Variable {
    Variable(a.value.scaled(by: s), parents: [a]) { g in a.accumulate(g.scaled(by: s)) }
}

/// Every element times a constant.
public func * (s: Float, a: Variable) -> Variable { a * s }

/// A constant added to every element.
public func + (a: Variable, s: Float) -> Variable {
    Variable(a.value.adding(s), parents: [a]) { g in a.accumulate(g) }
}

/// The negation.
public prefix func - (a: Variable) -> Variable { a * -1 }

extension Variable {
    /// The same values, with the gradient passed back multiplied by `s` (s < 0: a gradient-reversal layer, as
    /// Ganin & Lempitsky 2015): one loss whose parts reach the parameters before this point with other weights.
    public func scalingGradient(by s: Float) -> Variable {
        Variable(value, parents: [self]) { [self] g in accumulate(s == 1 ? g : g.scaled(by: s)) }
    }
}

/// Unary functions: y = f(x), and dy/dx written from x and y.
extension Variable {
    /// e^x elementwise.
    public func exp() -> Variable {
        let y = value.map(.exp)
        return Variable(y, parents: [self]) { [self] g in accumulate(g * y) }
    }

    /// log x elementwise.
    public func log() -> Variable {
        Variable(value.map(.log), parents: [self]) { [self] g in accumulate(g / value) }
    }

    /// x² elementwise.
    public func square() -> Variable {
        Variable(value.map(.square), parents: [self]) { [self] g in accumulate((g * value).scaled(by: 2)) }
    }

    /// √x elementwise.
    public func sqrt() -> Variable {
        let y = value.map(.sqrt)
        return Variable(y, parents: [self]) { [self] g in accumulate((g / y).scaled(by: 0.5)) }
    }

    /// tanh elementwise.
    public func tanh() -> Variable { activation(.tanh) }

    /// 1 / (1 + e^−x) elementwise.
    public func sigmoid() -> Variable { activation(.sigmoid) }

    /// Its pullback masks the incoming gradient in place (y > 0 exactly where x > 0).
    public func relu() -> Variable { activation(.relu, inPlace: true) }

    /// x for x > 0, else slope·x.
    public func leakyRelu(slope: Float = 0.01) -> Variable { activation(.leakyRelu(slope: slope)) }

    /// log(1 + eˣ); its derivative is sigmoid(x).
    public func softplus() -> Variable { activation(.softplus) }

    /// y = f(x) with the pullback g · f′ (`UnaryFunction.chainDerivative`), into a new tensor or over g itself.
    private func activation(_ f: UnaryFunction, inPlace: Bool = false) -> Variable {
        let y = value.map(f)
        return Variable(y, parents: [self]) { [self] g in
            let d = inPlace ? g : Tensor(uninitialized: g.shape)
            f.chainDerivative(g.data, input: value.data, output: y.data, into: d.data, g.count)
            accumulate(d)
        }
    }
}

extension Variable {
    /// |x|; its derivative is sign(x) (0 at 0).
    public func abs() -> Variable {
        Variable(value.map(.abs), parents: [self]) { [self] g in
            let d = Tensor(uninitialized: g.shape)
            let dp = d.data, gp = g.data, xp = value.data
            for i in 0..<g.count { dp[i] = xp[i] > 0 ? gp[i] : (xp[i] < 0 ? -gp[i] : 0) }
            accumulate(d)
        }
    }
}
