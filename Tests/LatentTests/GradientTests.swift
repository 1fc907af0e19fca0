import Foundation
import Latent
import Testing

/// Every op's pullback against central finite differences. Inputs avoid kinks (relu at 0) by a margin
/// larger than the step.
@Suite struct GradientTests {
    static let tolerance: Float = 2e-2

    /// Makes a scalar from an op's output by a fixed random weighting, so every output element matters.
    static func weighted(_ y: Variable, seed: UInt64 = 99) -> Variable {
        (y * Variable(Support.random(y.shape, seed: seed))).sum()
    }

    static func awayFromZero(_ shape: Shape, seed: UInt64) -> Tensor {
        let t = Support.random(shape, seed: seed)
        for i in 0..<t.count { t[i] = t[i] >= 0 ? t[i] + 0.1 : t[i] - 0.1 }
        return t
    }

    @Test(arguments: ["add", "sub", "mul", "div", "addRow", "mulColumn", "subScalar", "divRow"])
    func binaryOps(_ op: String) {
        let a = Support.random([3, 4], seed: 1)
        let b: Tensor =
            switch op {
            case "addRow", "divRow": Support.random([4], seed: 2, low: 0.5, high: 2)
            case "mulColumn": Support.random([3, 1], seed: 2)
            case "subScalar": Support.random([1], seed: 2)
            default: Support.random([3, 4], seed: 2, low: 0.5, high: 2)
            }
        let err = GradientCheck.maxError(inputs: [a, b]) { v in
            let y: Variable =
                switch op {
                case "add", "addRow": v[0] + v[1]
                case "sub", "subScalar": v[0] - v[1]
                case "mul", "mulColumn": v[0] * v[1]
                default: v[0] / v[1]
                }
            return Self.weighted(y)
        }
        #expect(err < Self.tolerance, "\(op): \(err)")
    }

    @Test(arguments: [
        "exp", "log", "square", "sqrt", "tanh", "sigmoid", "relu", "leakyRelu", "softplus",
        "scale", "addScalar", "negate",
    ])
    func unaryOps(_ op: String) {
        let positive = ["log", "sqrt"].contains(op)
        let x = positive ? Support.random([3, 5], seed: 3, low: 0.5, high: 2) : Self.awayFromZero([3, 5], seed: 3)
        let err = GradientCheck.maxError(inputs: [x]) { v in
            let y: Variable =
                switch op {
                case "exp": v[0].exp()
                case "log": v[0].log()
                case "square": v[0].square()
                case "sqrt": v[0].sqrt()
                case "tanh": v[0].tanh()
                case "sigmoid": v[0].sigmoid()
                case "relu": v[0].relu()
                case "leakyRelu": v[0].leakyRelu(slope: 0.1)
                case "softplus": v[0].softplus()
                case "scale": v[0] * 2.5
                case "addScalar": v[0] + 3
                default: -v[0]
                }
            return Self.weighted(y)
        }
        #expect(err < Self.tolerance, "\(op): \(err)")
    }

    @Test(arguments: ["sum", "mean", "sumRows", "reshape"])
    func reductionsAndShapes(_ op: String) {
        let x = Support.random([4, 3], seed: 5)
        let err = GradientCheck.maxError(inputs: [x]) { v in
            switch op {
            case "sum": v[0].sum() * 1.5
            case "mean": v[0].mean() * 3
            case "sumRows": Self.weighted(v[0].sumRows())
            default: Self.weighted(v[0].reshaped([2, 6]))
            }
        }
        #expect(err < Self.tolerance, "\(op): \(err)")
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) {
        let a = Support.random(transposeA ? [3, 4] : [4, 3], seed: 6)
        let b = Support.random(transposeB ? [5, 3] : [3, 5], seed: 7)
        let err = GradientCheck.maxError(inputs: [a, b]) { v in
            Self.weighted(Variable.matmul(v[0], transposeA: transposeA, v[1], transposeB: transposeB))
        }
        #expect(err < Self.tolerance)
    }

    @Test func linear() {
        let x = Support.random([4, 3], seed: 8), w = Support.random([5, 3], seed: 9), b = Support.random([5], seed: 10)
        let err = GradientCheck.maxError(inputs: [x, w, b]) { v in
            Self.weighted(Variable.linear(v[0], weight: v[1], bias: v[2]))
        }
        #expect(err < Self.tolerance)
    }

    @Test(arguments: [Reduction.sum, .mean])
    func fusedLosses(_ reduction: Reduction) {
        let logits = Support.random([3, 4], seed: 11, low: -4, high: 4)
        let targets = Support.random([3, 4], seed: 12, low: 0, high: 1)
        targets[0] = 0
        targets[1] = 1
        let bce = GradientCheck.maxError(inputs: [logits]) { v in
            Variable.binaryCrossEntropyWithLogits(v[0], targets: targets, reduction: reduction) * 2
        }
        let mse = GradientCheck.maxError(inputs: [logits]) { v in
            Variable.meanSquaredError(v[0], targets: targets, reduction: reduction)
        }
        let mu = Support.random([3, 2], seed: 13), logVar = Support.random([3, 2], seed: 14)
        let kl = GradientCheck.maxError(inputs: [mu, logVar]) { v in
            Variable.gaussianKLToStandardNormal(mean: v[0], logVariance: v[1], reduction: reduction)
        }
        #expect(bce < Self.tolerance)
        #expect(mse < Self.tolerance)
        #expect(kl < Self.tolerance)
    }

    @Test func reparameterize() {
        let mu = Support.random([3, 2], seed: 15), logVar = Support.random([3, 2], seed: 16)
        let eps = Support.random([3, 2], seed: 17)
        let err = GradientCheck.maxError(inputs: [mu, logVar]) { v in
            Self.weighted(Variable.reparameterize(mean: v[0], logVariance: v[1], noise: eps))
        }
        #expect(err < Self.tolerance)
    }

    @Test func gradientsAccumulateAcrossUses() {
        // y = x·x + x: the same variable reached by three paths.
        let x = Variable(Tensor([2, -3], shape: [2]), requiresGrad: true)
        ((x * x) + x).sum().backward()
        #expect(x.grad!.array == [5, -5])
    }

    @Test func gradientCheckCatchesAWrongPullback() {
        // A deliberately wrong derivative (2x instead of 3x² for x³) must be reported: the check can fail.
        let x = Support.random([4], seed: 18, low: 0.5, high: 1.5)
        let err = GradientCheck.maxError(inputs: [x]) { v in
            let y = v[0].value.map(.square) * v[0].value
            return Variable(y, parents: [v[0]]) { g in v[0].accumulate(g * v[0].value.scaled(by: 2)) }.sum()
        }
        #expect(err > 0.1)
    }
}

/// The IWAE pieces: gradients by finite differences, and the bound's value against a direct computation.
@Suite struct ImportanceWeightedGradientTests {
    @Test func repeatRowsGradient() {
        let x = Support.random([3, 4], seed: 1)
        let err = GradientCheck.maxError(inputs: [x]) { v in (v[0].repeatRows(3) * v[0].repeatRows(3)).sum() }
        #expect(err < 1e-2, "max relative error \(err)")
    }

    /// The IWAE bound (m = 1, β = 0), MIWAE's mean of m bounds and CIWAE's mix with the ELBO: gradients by finite
    /// differences through the reparameterisation, and the value against a direct computation in Double.
    @Test(arguments: [(1, Float(0)), (2, Float(0)), (1, Float(0.3)), (2, Float(1))])
    func boundGradientAndValue(groups m: Int, elboWeight beta: Float) {
        let n = 2, k = 3, f = 5, d = 2, rows = n * m * k
        let targets = Support.random([n, f], seed: 2, low: 0, high: 1)
        let eps = Support.random([rows, d], seed: 3)
        let logits0 = Support.random([rows, f], seed: 4, low: -2, high: 2)
        let mu0 = Support.random([n, d], seed: 5), lv0 = Support.random([n, d], seed: 6, low: -1, high: 0.5)
        func bound(_ logits: Variable, _ mu: Variable, _ logVariance: Variable) -> Variable {
            let lv = logVariance.repeatRows(m * k)
            let z = Variable.reparameterize(mean: mu.repeatRows(m * k), logVariance: lv, noise: eps)
            return Variable.negativeImportanceWeightedBound(
                logits: logits, targets: targets, z: z, noise: eps, logVariance: lv, samples: k, groups: m,
                elboWeight: beta)
        }
        // Through the reparameterisation, as the model uses it: gradients reach logits, mean and log-variance.
        let err = GradientCheck.maxError(inputs: [logits0, mu0, lv0]) { v in bound(v[0], v[1], v[2]) }
        #expect(err < 2e-2, "max relative error \(err)")
        let value = bound(Variable(logits0), Variable(mu0), Variable(lv0)).value.scalar
        // −Σ_i mean_g [(1 − β) log mean_t w + β mean_t log w], log w = −BCE − ½z² + ½ε² + ½logvar.
        var expected = 0.0
        for i in 0..<n {
            for g in 0..<m {
                var logs: [Double] = []
                for t in 0..<k {
                    let r = (i * m + g) * k + t
                    var lw = 0.0
                    for j in 0..<f {
                        let l = Double(logits0[r, j]), x = Double(targets[i, j])
                        let p: Double = 1 / (1 + exp(-l))
                        lw += x * log(p) + (1 - x) * log(1 - p)
                    }
                    for j in 0..<d {
                        let sd = exp(0.5 * Double(lv0[i, j])), e = Double(eps[r, j])
                        let zz = Double(mu0[i, j]) + sd * e
                        lw += -0.5 * zz * zz + 0.5 * e * e + 0.5 * Double(lv0[i, j])
                    }
                    logs.append(lw)
                }
                let iwae = log(logs.map { exp($0) }.reduce(0, +) / Double(k))
                let elbo = logs.reduce(0, +) / Double(k)
                expected -= ((1 - Double(beta)) * iwae + Double(beta) * elbo) / Double(m)
            }
        }
        #expect(abs(Double(value) - expected) < 1e-3 * abs(expected), "\(value) vs \(expected)")
    }
}

@Suite struct FreeBitsTests {
    @Test func freeBitsFloorsEachDimensionAndStopsItsGradient() {
        // Dimension 0 far from the prior (KL ≫ λ), dimension 1 at the prior (KL ≈ 0 < λ).
        let mu = Tensor([2, 0.01, -1.5, -0.01, 1, 0], shape: [3, 2]),
            lv = Tensor([-1, 0.01, -0.5, 0, 0.2, -0.01], shape: [3, 2])
        let lambda: Float = 0.5
        let value = Variable.gaussianKLFreeBits(mean: Variable(mu), logVariance: Variable(lv), lambda: lambda).value
            .scalar
        var kl0 = 0.0
        for i in 0..<3 {
            let m = Double(mu[i, 0]), l = Double(lv[i, 0])
            kl0 += -0.5 * (1 + l - m * m - exp(l))
        }
        #expect(abs(Double(value) - (kl0 + 3 * Double(lambda))) < 1e-5)
        let err = GradientCheck.maxError(inputs: [mu, lv], step: 1e-3) { v in
            Variable.gaussianKLFreeBits(mean: v[0], logVariance: v[1], lambda: lambda)
        }
        #expect(err < 1e-2, "max relative error \(err)")
    }
}
