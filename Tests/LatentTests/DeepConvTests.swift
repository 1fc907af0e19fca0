import Foundation
import Latent
import Testing

/// BatchNorm and the deep convolutional VAE (PyTorch-VAE's VanillaVAE layout) against PyTorch.
@Suite struct DeepConvTests {
    @Test func batchNormMatchesPyTorchInTrainingAndEvaluation() throws {
        let f = try Support.fixture("batchnorm.safetensors")
        let bn = BatchNorm(5)
        bn.weight.value.data.update(from: f["weight"]!.data, count: 5)
        bn.bias.value.data.update(from: f["bias"]!.data, count: 5)
        for step in 0..<3 {
            let p = "train\(step)."
            let x = Variable(f[p + "x"]!.copy(), requiresGrad: true)
            let w = Variable(bn.weight.value.copy(), requiresGrad: true),
                b = Variable(bn.bias.value.copy(), requiresGrad: true)
            let y = Variable.batchNorm(
                x, weight: w, bias: b, runningMean: bn.runningMean.value, runningVariance: bn.runningVariance.value,
                training: true)
            #expect(Support.relativeError(y.value, f[p + "y"]!) < 1e-4, "training forward \(step)")
            (y * Variable(f[p + "g"]!)).sum().backward()
            #expect(Support.relativeError(x.grad!, f[p + "dx"]!) < 1e-4, "dx \(step)")
            #expect(Support.relativeError(w.grad!, f[p + "dweight"]!) < 1e-4, "dweight \(step)")
            #expect(Support.relativeError(b.grad!, f[p + "dbias"]!) < 1e-4, "dbias \(step)")
        }
        #expect(Support.relativeError(bn.runningMean.value, f["running_mean"]!) < 1e-5)
        #expect(Support.relativeError(bn.runningVariance.value, f["running_var"]!) < 1e-5)
        bn.setTraining(false)
        let x = Variable(f["eval.x"]!.copy(), requiresGrad: true)
        let y = bn(x)
        #expect(Support.relativeError(y.value, f["eval.y"]!) < 1e-4)
        (y * Variable(f["eval.g"]!)).sum().backward()
        #expect(Support.relativeError(x.grad!, f["eval.dx"]!) < 1e-4)
        #expect(Support.relativeError(bn.weight.grad!, f["eval.dweight"]!) < 1e-4)
        #expect(Support.relativeError(bn.bias.grad!, f["eval.dbias"]!) < 1e-4)
    }

    @Test func batchNormGradientMatchesFiniteDifferences() throws {
        let x = Support.random([6, 4], seed: 3, low: -2, high: 2)
        let w = Support.random([4], seed: 4, low: 0.5, high: 1.5), b = Support.random([4], seed: 5)
        for training in [true, false] {
            let stats = (Tensor(zeros: [4]), Tensor(repeating: 1, shape: [4]))
            let weights = Support.random([6, 4], seed: 6)
            let error = GradientCheck.maxError(inputs: [x, w, b]) { v in
                let y = Variable.batchNorm(
                    v[0], weight: v[1], bias: v[2], runningMean: stats.0.copy(), runningVariance: stats.1.copy(),
                    training: training)
                return (y * Variable(weights)).sum()
            }
            #expect(error < 2e-2, "training \(training): \(error)")
        }
    }

    /// The 64×64×3 reference VAE on a fixed batch: loss, every parameter's gradient (sum, norm, 64 entries) and
    /// the running statistics after the step, with weights from the formula both sides compute.
    @Test func referenceVAEMatchesPyTorch() throws {
        let f = try Support.fixture("deepconv_vae.safetensors")
        var c = ModelConfig(kind: .vae)
        (c.arch, c.inputSize, c.imageHeight, c.imageWidth, c.imageChannels) = (.deepconv, 64 * 64 * 3, 64, 64, 3)
        (c.convChannels, c.hidden, c.latent, c.activation) = ([32, 64, 128, 256, 512], [], 128, .leakyRelu)
        try c.validate()
        var rng = RandomGenerator(seed: 0)
        let vae = VariationalAutoencoder(c, rng: &rng)
        #expect(Double(vae.parameterCount) == c.parameterCount)
        #expect(Double(vae.namedBuffers.reduce(0) { $0 + $1.parameter.value.count }) == c.bufferCount)
        let names = vae.namedParameters.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let buffers = Set(vae.namedBuffers.map(\.name))
        for (name, p) in vae.namedParameters {
            let k = Double(names.firstIndex(of: name)!), t = p.value
            let module = name.split(separator: ".").dropLast().joined(separator: ".")
            let isNorm = buffers.contains(module + ".running_mean")
            // Weights near 1 and biases near 0 for BatchNorm; U(±1/√fan-in)-sized for the rest.
            let bound = isNorm ? 0.1 : 1 / Double(fanIn(module, vae)).squareRoot()
            for i in 0..<t.count {
                t.data[i] = Float(bound * hash(i, Int(k))) + (isNorm && name.hasSuffix("weight") ? 1 : 0)
            }
        }
        let x = f["x"]!, eps = f["eps"]!
        let terms = vae.loss(Batch(x: x), noise: eps)
        let expected = f["loss"]!
        #expect(abs(terms.value - expected[0]) / expected[0] < 1e-4, "loss \(terms.value) vs \(expected[0])")
        terms.total.backward()
        for (name, p) in vae.namedParameters {
            let g = p.grad!, ref = f["grad." + name]!
            // A bias followed by BatchNorm has a gradient of exactly 0; its float32 noise is judged against the
            // layer's weight gradient.
            let module = name.split(separator: ".").dropLast().joined(separator: ".")
            let scale = Double(f["grad." + module + ".weight"]![1])
            let tolerance = 1e-4 * Double(ref[1]) + 1e-6 * scale
            var sum = 0.0, sq = 0.0
            for i in 0..<g.count {
                sum += Double(g[i])
                sq += Double(g[i]) * Double(g[i])
            }
            #expect(abs(sq.squareRoot() - Double(ref[1])) <= tolerance, "\(name) gradient norm")
            #expect(abs(sum - Double(ref[0])) <= tolerance * Double(g.count).squareRoot(), "\(name) gradient sum")
            let step = max(1, g.count / 64)
            for j in 0..<min(64, (g.count + step - 1) / step) {
                #expect(abs(Double(g[j * step] - ref[2 + j])) <= tolerance, "\(name)[\(j * step)]")
            }
        }
        for (name, buffer) in vae.namedBuffers {
            #expect(Support.relativeError(buffer.value, f["stat." + name]!) < 1e-4, "\(name)")
        }
    }
}

/// Data-parallel workers share BatchNorm's batch statistics (`BatchNormSync`): two workers' gradients and
/// running statistics equal one worker's on the whole batch.
@Suite struct SyncBatchNormTests {
    static func config(_ kind: ModelKind) -> ModelConfig {
        var c = ModelConfig(kind: kind)
        (c.arch, c.inputSize, c.imageHeight, c.imageWidth, c.imageChannels) = (.deepconv, 16 * 16 * 3, 16, 16, 3)
        (c.convChannels, c.hidden, c.latent, c.activation) = ([8, 16], [], 4, .leakyRelu)
        return c
    }

    /// Every kind builds on the deep conv body, matches its analytic size, trains a step on 2 synchronised
    /// workers, and round-trips through a checkpoint with its BatchNorm statistics.
    @Test(arguments: ["ae", "sae", "dae", "vae", "beta-vae", "cvae", "iwae", "classifier"])
    func everyKindTrainsOnTheDeepConvBody(_ name: String) throws {
        var c = Self.config(ModelKind(rawValue: name == "beta-vae" ? "vae" : name)!)
        if name == "beta-vae" { c.beta = 4 }
        if c.kind == .dae { c.noise = Corruption(kind: .gaussian, amount: 0.3) }
        if c.kind == .sae { c.sparsity = Sparsity(kind: .kl, target: 0.05, weight: 1) }
        if c.kind == .iwae { c.importanceSamples = 3 }
        if c.kind == .classifier || c.kind == .sae { c.hidden = [16] }
        try c.validate()
        var rng = RandomGenerator(seed: 3)
        let model = makeModel(c, rng: &rng)
        #expect(Double(model.parameterCount) == c.parameterCount, "\(name) parameters")
        let buffers = model.namedBuffers.reduce(0) { $0 + $1.parameter.value.count }
        #expect(Double(buffers) == c.bufferCount, "\(name) buffers")
        let optimizer = try Adam(model, learningRate: 1e-3)
        let step = try TrainingStep(model, optimizer: optimizer, threads: 2, batchSize: 8)
        let x = Support.random([8, c.inputSize], seed: 4, low: 0, high: 1)
        let batch = Batch(x: x, labels: (0..<8).map { $0 % 2 })
        var noise = RandomGenerator(seed: 5)
        let loss = step.lossAndGradients(batch, klWeight: nil, rng: &noise)
        step.update()
        #expect(loss.isFinite && loss > 0, "\(name) loss \(loss)")
        #expect(model.namedBuffers.contains { $0.parameter.value.array.contains { $0 != 0 && $0 != 1 } })
        let dir = Support.temporaryDirectory()
        try ModelStore.save(model, seed: 1, epochs: 1, to: dir)
        let loaded = try ModelStore.load(dir)
        for ((n, a), (_, b)) in zip(model.namedBuffers, loaded.model.namedBuffers) {
            #expect(a.value.array == b.value.array, "\(name) \(n) saved")
        }
    }

    /// A 1x1 last feature map gives BatchNorm one value per channel in a batch of one: training refuses such
    /// batches by name before it starts (PyTorch raises mid-epoch) and takes every other batch size.
    @Test(arguments: [(5, 4, true), (5, 1, true), (5, 5, false), (6, 4, false)])
    func batchesOfOneOnA1x1MapAreRefused(examples: Int, batch: Int, refused: Bool) throws {
        var c = ModelConfig(kind: .ae)
        (c.arch, c.inputSize, c.imageHeight, c.imageWidth, c.imageChannels) = (.deepconv, 64, 8, 8, 1)
        (c.convChannels, c.hidden, c.latent, c.activation) = ([2, 2, 2], [], 2, .leakyRelu)
        try c.validate()
        #expect(c.convSize.height == 1 && c.convSize.width == 1)
        let pixels = (0..<examples * 64).map { UInt8(truncatingIfNeeded: $0 * 37) }
        let labels = [UInt8](repeating: 0, count: examples)
        let train = try Dataset(name: "tiny", pixels: pixels, labels: labels, height: 8, width: 8)
        var options = TrainingOptions(outputDirectory: Support.temporaryDirectory("bn-1x1-\(examples)-\(batch)"))
        (options.epochs, options.batchSize) = (1, batch)
        var rng = RandomGenerator(seed: 1)
        do {
            try Trainer(options: options).run(makeModel(c, rng: &rng), train: train, test: train)
            #expect(!refused, "\(examples) examples in batches of \(batch) trained")
        } catch let e as LatentError {
            #expect(refused && e.field == "batchSize", "\(e)")
            #expect("\(e)".contains(batch == 1 ? "batches of 1" : "last batch of 1 of \(examples)"), "\(e)")
        }
    }

    @Test(arguments: [8, 7, 1])
    func twoWorkersNormaliseAsOne(rows: Int) throws {
        let c = Self.config(.ae)  // deterministic: no sampling noise to tell the workers apart
        var rng = RandomGenerator(seed: 1)
        let single = Autoencoder(c, rng: &rng)
        rng = RandomGenerator(seed: 1)
        let split = Autoencoder(c, rng: &rng)
        let x = Support.random([rows, c.inputSize], seed: 9, low: 0, high: 1)
        var noise = RandomGenerator(seed: 2)
        let reference = single.loss(Batch(x: x), rng: &noise)
        reference.total.backward()
        let parameters = ParameterSet(split)
        let parallel = DataParallel(split, parameters: parameters, workers: 2)
        let (total, _) = parallel.lossAndGradients(Batch(x: x), rng: &noise)
        #expect(abs(total - reference.value) <= 1e-5 * abs(reference.value))
        let grads = single.parameters.flatMap { $0.grad!.array }
        #expect(Support.relativeError(parameters.grads, Tensor(grads, shape: [grads.count])) < 1e-4)
        for ((name, a), (_, b)) in zip(single.namedBuffers, split.namedBuffers) {
            #expect(Support.relativeError(b.value, a.value) < 1e-5, "\(name)")
        }
    }
}

/// PyTorch's fan-in of a layer: the weight's second dimension times the kernel's area (Conv2d [out, in, k, k],
/// ConvTranspose2d [in, out, k, k], Linear [out, in]).
private func fanIn(_ module: String, _ vae: VariationalAutoencoder) -> Int {
    let s = vae.namedParameters.first { $0.name == module + ".weight" }!.parameter.value.shape
    return s.rank == 4 ? s[1] * s[2] * s[3] : s[1]
}

/// The fixture's weight formula: an integer hash of (element, tensor) mapped to [−1, 1).
private func hash(_ i: Int, _ k: Int) -> Double {
    var x = (UInt64(i) &+ UInt64(k) &* 1_000_003) & 0xFFFF_FFFF
    for _ in 0..<2 { x = ((x ^ (x >> 16)) &* 0x45D_9F3B) & 0xFFFF_FFFF }
    x ^= x >> 16
    return Double(x) / 4_294_967_296 * 2 - 1
}
