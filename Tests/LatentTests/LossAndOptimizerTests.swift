import Foundation
import Latent
import Testing

@Suite struct LossTests {
    @Test func klMatchesClosedForm() {
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − ln σ²), per dimension.
        let mu: [Float] = [0, 1, -2, 0.5], sigma: [Float] = [1, 1, 0.5, 2]
        let logVar = sigma.map { Float(Foundation.log(Double($0 * $0))) }
        let kl = Variable.gaussianKLToStandardNormal(
            mean: Variable(Tensor(mu, shape: [2, 2])),
            logVariance: Variable(Tensor(logVar, shape: [2, 2])))
        let expected = zip(mu, sigma).map { m, s in
            0.5 * (Double(s * s) + Double(m * m) - 1 - Foundation.log(Double(s * s)))
        }
        #expect(abs(Double(kl.value.scalar) - expected.reduce(0, +)) < 1e-5)
        let zero = Variable.gaussianKLToStandardNormal(
            mean: Variable(Tensor(zeros: [3, 4])), logVariance: Variable(Tensor(zeros: [3, 4])))
        #expect(zero.value.scalar == 0)
    }

    @Test func bceWithLogitsIsStableAtExtremes() {
        let logits = Tensor([-1000, 1000, -1000, 1000, 0], shape: [5])
        let targets = Tensor([0, 1, 1, 0, 0.5], shape: [5])
        let v = Variable(logits, requiresGrad: true)
        let l = Variable.binaryCrossEntropyWithLogits(v, targets: targets, reduction: .sum)
        l.backward()
        // Confident and right → 0; confident and wrong → |x| = 1000 each; x = 0 → ln 2.
        #expect(abs(l.value.scalar - (2000 + Float(Foundation.log(2.0)))) < 1e-2)
        #expect(v.grad!.array == [0, 0, -1, 1, 0])
    }
}

@Suite struct OptimizerTests {
    final class Single: Module {
        let p = Parameter(Tensor([1, -2], shape: [2]))
        var ownParameters: [(name: String, parameter: Parameter)] { [("p", p)] }
    }

    @Test func sgdWithMomentumMatchesPyTorchsRule() throws {
        // PyTorch: buf = g (first step), then buf = μ·buf + g; p -= lr·buf. With constant g = p-independent 1:
        let m = Single()
        let set = ParameterSet(m)
        let sgd = try SGD(set, learningRate: 0.1, momentum: 0.9)
        for _ in 0..<3 {
            set.grads.fill(1)
            sgd.step()
        }
        // buf: 1, 1.9, 2.71 → total step 0.1·5.61 = 0.561
        #expect(abs(m.p.value[0] - (1 - 0.561)) < 1e-6)
        #expect(abs(m.p.value[1] - (-2 - 0.561)) < 1e-6)
    }

    @Test func adamFirstStepIsLearningRateTimesSign() throws {
        // After bias correction the first Adam step is lr·g/(|g| + eps) ≈ lr·sign(g).
        let m = Single()
        let set = ParameterSet(m)
        let adam = try Adam(set, learningRate: 0.01)
        set.grads.copy(from: Tensor([3, -0.5], shape: [2]))
        adam.step()
        #expect(abs(m.p.value[0] - 0.99) < 1e-6 && abs(m.p.value[1] - (-1.99)) < 1e-6)
    }

    @Test func adamReadsSubnormalMomentsAsZero() throws {
        // A weight whose gradient stays zero has its first moment decay by β1 a step into the subnormal range,
        // where Intel cores take ~100 cycles an operation: Adam reads such moments as zero and writes zero.
        let m = Single()
        let set = ParameterSet(m)
        let adam = try Adam(set, learningRate: 0.01)
        set.grads.copy(from: Tensor([1, 0], shape: [2]))
        adam.step()
        adam.m.data[1] = 1e-39  // subnormal (below 1.18e-38)
        adam.v.data[1] = 1e-39
        set.grads.fill(0)
        adam.step()
        #expect(adam.m.data[1] == 0 && adam.v.data[1] == 0)
        #expect(abs(adam.m.data[0] - 0.09) < 1e-7)  // a normal moment decays as before: 0.1, then 0.1·0.9
    }

    /// A parameter of `count` values.
    final class Wide: Module {
        let p: Parameter
        init(_ values: [Float]) { p = Parameter(Tensor(values, shape: [values.count])) }
        var ownParameters: [(name: String, parameter: Parameter)] { [("p", p)] }
    }

    @Test func adamsVectorLanesGivePyTorchsFormulasBits() throws {
        // The vector loop (kernels.c) must give every value the formula's bits, each operation an IEEE single one, as
        // the scalar loop and PyTorch compute it. Gradients over many binades (and zero), weight decay, 8 steps (8 bias
        // corrections), a tail of 3 values past the last whole vector.
        let n = 100_003
        var rng = RandomGenerator(seed: 11)
        func values(_ exponents: ClosedRange<Float>) -> [Float] {
            (0..<n).map { i in
                let exponent = exponents.lowerBound + rng.uniform() * (exponents.upperBound - exponents.lowerBound)
                return i % 97 == 0 ? 0 : rng.normal() * Float(Foundation.pow(10, Double(exponent)))
            }
        }
        let model = Wide(values(-3...1))
        let set = ParameterSet(model)
        let (lr, beta1, beta2, eps, decay): (Float, Float, Float, Float, Float) = (1e-3, 0.9, 0.999, 1e-8, 0.01)
        let adam = try Adam(set, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: eps, weightDecay: decay)
        var (p, m, v) = (model.p.value.array, [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
        for t in 1...8 {
            let g = values(-12...6)
            set.grads.copy(from: Tensor(g, shape: [n]))
            adam.step()
            let bc1 = 1 - Foundation.pow(Double(beta1), Double(t)), bc2 = 1 - Foundation.pow(Double(beta2), Double(t))
            let stepSize = Float(Double(lr) / bc1), bc2Sqrt = Float(bc2.squareRoot())
            for i in 0..<n {
                let gi = g[i] * 1 + decay * p[i]
                m[i] += (gi - m[i]) * (1 - beta1)
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + eps)
            }
            let differing = (0..<n).filter { model.p.value.data[$0] != p[$0] || adam.v.data[$0] != v[$0] }.count
            #expect(differing == 0, "step \(t): \(differing) of \(n) values differ from the formula's")
        }
    }

    @Test func gradientClippingRescalesToTheNorm() throws {
        // Clipped Adam on g equals unclipped Adam on g·(c/‖g‖), over several steps (moments included).
        let clipped = Single(), plain = Single()
        let a = ParameterSet(clipped), b = ParameterSet(plain)
        let adamA = try Adam(a, learningRate: 0.1), adamB = try Adam(b, learningRate: 0.1)
        adamA.clipGradientNorm = 1
        for (g0, g1) in [(3.0, -4.0), (0.3, 0.4), (-6.0, 8.0)] as [(Float, Float)] {
            a.grads.copy(from: Tensor([g0, g1], shape: [2]))
            let norm = (g0 * g0 + g1 * g1).squareRoot(), scale = norm > 1 ? 1 / (Double(norm) + 1e-6) : 1
            b.grads.copy(from: Tensor([Float(Double(g0) * scale), Float(Double(g1) * scale)], shape: [2]))
            #expect(abs(adamA.gradientNorm() - Double(norm)) < 1e-5)
            adamA.step()
            adamB.step()
            #expect(
                abs(clipped.p.value[0] - plain.p.value[0]) < 1e-6 && abs(clipped.p.value[1] - plain.p.value[1]) < 1e-6)
        }
        #expect(abs(adamA.lastGradientNorm! - 10) < 1e-5)
    }

    @Test func invalidHyperparametersAreRejected() {
        let set = ParameterSet(Single())
        #expect(throws: LatentError.self) { try Adam(set, learningRate: -1) }
        #expect(throws: LatentError.self) { try Adam(set, beta1: 1) }
        #expect(throws: LatentError.self) { try SGD(set, learningRate: 0.1, nesterov: true) }
    }

    @Test func parameterSetPacksNamesAndViews() {
        var rng = RandomGenerator(seed: 1)
        var config = ModelConfig(kind: .vae)
        config.hidden = [16]
        config.latent = 2
        let vae = VariationalAutoencoder(config, rng: &rng)
        let before = vae.namedParameters.map { $0.parameter.value.array }
        let set = ParameterSet(vae)
        #expect(
            set.named.map(\.name) == [
                "encoder.0.weight", "encoder.0.bias", "mean.weight", "mean.bias",
                "logvar.weight", "logvar.bias", "decoder.0.weight", "decoder.0.bias",
                "decoder.2.weight", "decoder.2.bias",
            ])
        #expect(vae.namedParameters.map { $0.parameter.value.array } == before)
        #expect(set.count == vae.parameterCount)
        set.values.fill(0.5)
        #expect(vae.meanHead.weight.value[0] == 0.5)
        // PyTorch's default init: U(±1/√fan_in).
        let w = before[0]
        #expect(w.allSatisfy { abs($0) <= 1 / Float(784).squareRoot() })
    }
}
