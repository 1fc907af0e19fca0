import Foundation
import Latent
import Testing

/// Every member of the family trains: a few Adam steps on a small MNIST batch lower its loss.
@Suite struct FamilyTests {
    nonisolated(unsafe) static let batch: Batch = {
        let test = try! MNIST.load(.test)
        return Batch(x: test.batch(0..<64), labels: test.labels[0..<64].map(Int.init))
    }()

    static func config(_ kind: ModelKind, _ edit: (inout ModelConfig) -> Void = { _ in }) -> ModelConfig {
        var c = ModelConfig(kind: kind)
        c.hidden = [64]
        c.latent = 8
        edit(&c)
        return c
    }

    static let cases: [(String, ModelConfig)] = [
        ("ae", config(.ae)),
        (
            "ae-gaussian-fixed",
            config(.ae) {
                $0.likelihood = .gaussian
                $0.outputVariance = 0.1
            }
        ),
        ("sae-kl", config(.sae) { $0.sparsity = Sparsity(kind: .kl, target: 0.05, weight: 3) }),
        ("sae-l1", config(.sae) { $0.sparsity = Sparsity(kind: .l1, weight: 1e-3) }),
        ("dae-gaussian", config(.dae) { $0.noise = Corruption(kind: .gaussian, amount: 0.5) }),
        ("dae-mask", config(.dae) { $0.noise = Corruption(kind: .mask, amount: 0.3) }),
        ("dae-salt-pepper", config(.dae) { $0.noise = Corruption(kind: .saltPepper, amount: 0.2) }),
        ("vae", config(.vae)),
        ("vae-gaussian-learned", config(.vae) { $0.likelihood = .gaussian }),
        ("beta-vae", config(.vae) { $0.beta = 4 }),
        ("cvae", config(.cvae)),
        ("classifier", config(.classifier)),
        (
            "conv-vae",
            config(.vae) {
                $0.arch = .conv
                $0.convChannels = [4, 8]
                $0.hidden = [32]
            }
        ),
        (
            "conv-ae",
            config(.ae) {
                $0.arch = .conv
                $0.convChannels = [4, 8]
                $0.hidden = []
            }
        ),
    ]

    @Test(arguments: cases.map(\.0))
    func aFewStepsLowerTheLoss(_ name: String) throws {
        let config = Self.cases.first { $0.0 == name }!.1
        try config.validate()
        var rng = RandomGenerator(seed: 1)
        let model = makeModel(config, rng: &rng)
        let adam = try Adam(ParameterSet(model), learningRate: 2e-3)
        func loss() -> Float {
            var r = RandomGenerator(seed: 9)  // same noise every time: compare like with like
            return model.loss(Self.batch, rng: &r).total.value.scalar
        }
        let before = loss()
        for _ in 0..<15 {
            adam.zeroGrad()
            model.loss(Self.batch, rng: &rng).total.backward()
            adam.step()
        }
        let after = loss()
        #expect(after < before * 0.95, "\(name): \(before) → \(after)")
        // Saved and loaded through the one checkpoint format, it computes the same loss.
        let dir = Support.temporaryDirectory()
        try ModelStore.save(model, seed: 1, epochs: 1, to: dir)
        let loaded = try ModelStore.load(dir).model
        var r = RandomGenerator(seed: 9)
        #expect(loaded.loss(Self.batch, rng: &r).total.value.scalar == after)
    }

    @Test func cvaeDecodesTheLabelItIsGiven() {
        var rng = RandomGenerator(seed: 2)
        let cvae = VariationalAutoencoder(Self.config(.cvae), rng: &rng)
        let z = Tensor(zeros: [2, 8])
        let images = cvae.decode(z, labels: [3, 7])
        // Same code, different labels → different images: the label reaches the decoder.
        #expect(Support.relativeError(images.rows(0..<1), images.rows(1..<2)) > 1e-4)
    }

    @Test func klWarmupAndBetaScaleTheKLTerm() {
        var rng = RandomGenerator(seed: 3)
        let vae = VariationalAutoencoder(Self.config(.vae) { $0.beta = 4 }, rng: &rng)
        let eps = Tensor(zeros: [64, 8])
        let full = vae.loss(Self.batch, noise: eps)
        let none = vae.loss(Self.batch, noise: eps, klWeight: 0)
        let recon = full.parts[0].value, kl = full.parts[1].value
        #expect(abs(full.total.value.scalar - (recon + 4 * kl)) < 1e-2)
        #expect(abs(none.total.value.scalar - recon) < 1e-2)
    }

    @Test(arguments: ["gaussian:0.5", "mask:0.3", "salt-pepper:0.2"])
    func corruptionChangesAboutTheRightShare(_ spec: String) throws {
        let c = try Corruption(parsing: spec)
        var rng = RandomGenerator(seed: 4)
        let x = Tensor(repeating: 0.5, shape: [100, 100])
        let y = c.apply(x, rng: &rng)
        #expect(y.array.allSatisfy { $0 >= 0 && $0 <= 1 })
        let changed = Double(y.array.filter { $0 != 0.5 }.count) / Double(y.count)
        switch c.kind {
        case .gaussian: #expect(changed > 0.99)
        case .mask, .saltPepper: #expect(abs(changed - Double(c.amount)) < 0.02)
        }
    }

    @Test(arguments: ["gauss:0.5", "mask:1.5", "gaussian", "gaussian:x"])
    func badNoiseSpecsAreRejected(_ spec: String) {
        #expect(throws: LatentError.self) { try Corruption(parsing: spec) }
    }

    @Test func invalidCombinationsAreRejected() {
        #expect(throws: LatentError.self) { try Self.config(.dae).validate() }  // no noise
        #expect(throws: LatentError.self) {
            try Self.config(.vae) {
                $0.arch = .conv
                $0.imageHeight = 27
                $0.imageWidth = 29
                $0.inputSize = 783
            }.validate()
        }
        #expect(throws: LatentError.self) { try Self.config(.vae) { $0.beta = -1 }.validate() }
        #expect(throws: LatentError.self) {
            try Self.config(.sae) { $0.sparsity = Sparsity(kind: .kl, target: 1.5, weight: 1) }.validate()
        }
    }
}

@Suite struct NewOpTests {
    @Test func concatAndSoftmaxGradients() {
        let a = Support.random([3, 2], seed: 1), b = Support.random([3, 4], seed: 2)
        #expect(
            GradientCheck.maxError(inputs: [a, b]) { v in GradientTests.weighted(Variable.concatColumns(v[0], v[1])) }
                < 2e-2)
        let logits = Support.random([4, 5], seed: 3, low: -3, high: 3)
        #expect(
            GradientCheck.maxError(inputs: [logits]) { v in
                Variable.softmaxCrossEntropy(v[0], labels: [0, 4, 2, 2], reduction: .sum)
            } < 2e-2)
        #expect(
            GradientCheck.maxError(inputs: [GradientTests.awayFromZero([3, 3], seed: 4)]) { v in
                GradientTests.weighted(v[0].abs())
            } < 2e-2)
    }

    @Test func softmaxCrossEntropyKnownValue() {
        // Uniform logits over 4 classes: −log(1/4) per row.
        let l = Variable.softmaxCrossEntropy(Variable(Tensor(zeros: [2, 4])), labels: [1, 3], reduction: .mean)
        #expect(abs(l.value.scalar - Float(Foundation.log(4.0))) < 1e-6)
    }

    @Test(arguments: [(1, 0, 0), (2, 1, 0), (2, 1, 1), (1, 1, 0)])
    func convolutionGradients(stride: Int, padding: Int, outputPadding: Int) {
        let x = Support.random([2, 5, 5, 2], seed: 5), w = Support.random([3, 2, 3, 3], seed: 6),
            b = Support.random([3], seed: 7)
        if outputPadding == 0 {
            let e = GradientCheck.maxError(inputs: [x, w, b]) { v in
                GradientTests.weighted(
                    Variable.conv2d(v[0], weight: v[1], bias: v[2], stride: stride, padding: padding))
            }
            #expect(e < 2e-2)
        }
        let xt = Support.random([2, 3, 3, 2], seed: 8), wt = Support.random([2, 3, 3, 3], seed: 9)
        let e = GradientCheck.maxError(inputs: [xt, wt, b]) { v in
            GradientTests.weighted(
                Variable.convTranspose2d(
                    v[0], weight: v[1], bias: v[2], stride: stride, padding: padding,
                    outputPadding: outputPadding))
        }
        #expect(e < 2e-2)
    }
}

@Suite struct GeneralKLTests {
    @Test func closedFormAndSpecialCase() {
        // KL(N(1, 2²) ‖ N(−1, 0.5²)) = ln(0.5/2) + (4 + 4)/(2·0.25) − ½ = −1.3863 + 16 − 0.5.
        let kl = klDivergence(
            mean1: Variable(Tensor([1], shape: [1])),
            logVariance1: Variable(Tensor([Float(Foundation.log(4.0))], shape: [1])),
            mean2: Variable(Tensor([-1], shape: [1])),
            logVariance2: Variable(Tensor([Float(Foundation.log(0.25))], shape: [1])))
        #expect(abs(Double(kl.value.scalar) - (Foundation.log(0.25) + 16 - 0.5)) < 1e-4)
        // With p = N(0, I) it equals the fused KL to the standard normal, value and gradients.
        let mu = Support.random([3, 4], seed: 1), lv = Support.random([3, 4], seed: 2)
        let general = klDivergence(
            mean1: Variable(mu), logVariance1: Variable(lv), mean2: Variable(Tensor(zeros: [3, 4])),
            logVariance2: Variable(Tensor(zeros: [3, 4])))
        let fused = klDivergenceToStandardNormal(mean: Variable(mu), logVariance: Variable(lv))
        #expect(abs(general.value.scalar - fused.value.scalar) < 1e-4)
        let e = GradientCheck.maxError(inputs: [
            mu, lv, Support.random([3, 4], seed: 3), Support.random([3, 4], seed: 4),
        ]) { v in
            klDivergence(mean1: v[0], logVariance1: v[1], mean2: v[2], logVariance2: v[3])
        }
        #expect(e < 2e-2)
    }

    @Test func monteCarloEstimateAgrees() {
        // E_q[log q(z) − log p(z)] by sampling, for q = N(0.5, 0.8²), p = N(−0.3, 1.5²).
        let (m1, s1, m2, s2) = (0.5, 0.8, -0.3, 1.5)
        var rng = RandomGenerator(seed: 11)
        var sum = 0.0
        let n = 400_000
        for _ in 0..<n {
            let z = m1 + s1 * Double(rng.normal())
            let lq = -Foundation.log(s1) - 0.5 * pow((z - m1) / s1, 2)
            let lp = -Foundation.log(s2) - 0.5 * pow((z - m2) / s2, 2)
            sum += lq - lp
        }
        let kl = klDivergence(
            mean1: Variable(Tensor([Float(m1)], shape: [1])),
            logVariance1: Variable(Tensor([Float(2 * Foundation.log(s1))], shape: [1])),
            mean2: Variable(Tensor([Float(m2)], shape: [1])),
            logVariance2: Variable(Tensor([Float(2 * Foundation.log(s2))], shape: [1])))
        #expect(abs(sum / Double(n) - Double(kl.value.scalar)) < 0.005)
    }
}

@Suite struct PCAAndWriterTests {
    @Test func pcaRecoversTheMainDirection() throws {
        // Points along (3, 4)/5 with small noise: the first component is ±(0.6, 0.8).
        var rng = RandomGenerator(seed: 1)
        let x = Tensor(uninitialized: [500, 2])
        for i in 0..<500 {
            let t = 3 * rng.normal()
            x[i, 0] = 0.6 * t + 0.05 * rng.normal() + 1
            x[i, 1] = 0.8 * t + 0.05 * rng.normal() - 2
        }
        let pca = try PCA(fitting: x, components: 1)
        #expect(abs(abs(pca.components[0]) - 0.6) < 0.01 && abs(abs(pca.components[1]) - 0.8) < 0.01)
        #expect(abs(pca.mean[0] - 1) < 0.3 && abs(pca.mean[1] + 2) < 0.3)
        let full = try PCA(fitting: x, components: 2)
        #expect(Support.relativeError(full.inverseTransform(full.transform(x)), x) < 1e-4)
        #expect(throws: LatentError.self) { try PCA(fitting: x, components: 3) }
    }

    /// Fewer examples than features (pictures): PCA through the examples' Gram matrix gives the directions the
    /// covariance gives (here: the same rows three times over, which has more examples than features).
    @Test func widePCAMatchesTheCovariancePath() throws {
        let x = Support.random([12, 40], seed: 21)
        let wide = try PCA(fitting: x, components: 4)
        var rows = [Float]()
        for _ in 0..<4 { rows += x.array }
        let tall = try PCA(fitting: Tensor(rows, shape: [48, 40]), components: 4)
        for c in 0..<4 {
            var dot: Float = 0
            for i in 0..<40 { dot += wide.components[c, i] * tall.components[c, i] }
            #expect(abs(abs(dot) - 1) < 1e-3, "component \(c): |cos| \(abs(dot))")
            // Variance with n − 1 = 11 against 47 for the same spread: a ratio of 47 / 44.
            #expect(abs(wide.explainedVariance[c] / tall.explainedVariance[c] - 47 / 44) < 1e-3)
        }
        #expect(wide.explainedVariance == wide.explainedVariance.sorted(by: >))
    }

    @Test func npyHeaderIsNumpys() {
        let d = ArrayWriters.npy([1, 2, 3, 4, 5, 6], rows: 2, columns: 3)
        #expect(Array(d.prefix(8)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(d[8]) | Int(d[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: d[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 3)") && header.hasSuffix("\n"))
        #expect(d.count == 10 + headerLength + 24)
    }
}
