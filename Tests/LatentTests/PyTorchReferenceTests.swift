import Foundation
import Latent
import Testing

/// Latent against reference values PyTorch computed (Scripts/fixtures/make_fixtures.py, torch 2.15.0).
@Suite struct PyTorchReferenceTests {
    @Test func elementwiseOpsAndLosses() throws {
        let f = try Support.fixture("ops.safetensors")
        let x = f["x"]!, t = f["t"]!, w = f["w"]!
        let ops: [(String, (Variable) -> Variable)] = [
            ("sigmoid", { $0.sigmoid() }), ("tanh", { $0.tanh() }), ("relu", { $0.relu() }),
            ("softplus", { $0.softplus() }), ("leaky_relu", { $0.leakyRelu(slope: 0.01) }),
        ]
        for (name, op) in ops {
            let v = Variable(x.copy(), requiresGrad: true)
            let y = op(v)
            (y * Variable(w)).sum().backward()
            #expect(Support.relativeError(y.value, f[name + ".y"]!) < 1e-6, "\(name) forward")
            #expect(Support.relativeError(v.grad!, f[name + ".dx"]!) < 1e-6, "\(name) gradient")
        }
        for reduction in [Reduction.sum, .mean] {
            let v = Variable(x.copy(), requiresGrad: true)
            let bce = Variable.binaryCrossEntropyWithLogits(v, targets: t, reduction: reduction)
            bce.backward()
            #expect(Support.relativeError(bce.value, f["bce_\(reduction.rawValue)"]!) < 1e-6)
            #expect(Support.relativeError(v.grad!, f["bce_\(reduction.rawValue).dx"]!) < 1e-6)
            let u = Variable(x.copy(), requiresGrad: true)
            let mse = Variable.meanSquaredError(u, targets: t, reduction: reduction)
            mse.backward()
            #expect(Support.relativeError(mse.value, f["mse_\(reduction.rawValue)"]!) < 1e-6)
            #expect(Support.relativeError(u.grad!, f["mse_\(reduction.rawValue).dx"]!) < 1e-6)
        }
    }

    /// Builds the fixture's VAE in Latent with the fixture's weights.
    static func model(_ f: [String: Tensor], activation: Activation) -> (VariationalAutoencoder, ParameterSet) {
        let x = f["x"]!, eps = f["eps"]!
        var config = ModelConfig(kind: .vae)
        config.inputSize = x.shape[1]
        config.imageHeight = 1
        config.imageWidth = x.shape[1]
        config.hidden = [f["param.encoder.0.weight"]!.shape[0]]
        config.latent = eps.shape[2]
        config.activation = activation
        var rng = RandomGenerator(seed: 0)
        let vae = VariationalAutoencoder(config, rng: &rng)
        for (name, p) in vae.namedParameters { p.value.copy(from: f["param." + name]!) }
        return (vae, ParameterSet(vae))
    }

    static func noise(_ f: [String: Tensor], step: Int) -> Tensor {
        let eps = f["eps"]!
        let n = eps.shape[1] * eps.shape[2]
        return Tensor(viewing: eps, offset: step * n, shape: [eps.shape[1], eps.shape[2]])
    }

    @Test(arguments: [("vae_relu.safetensors", Activation.relu), ("vae_tanh.safetensors", .tanh)])
    func vaeLossAndEveryGradient(file: String, activation: Activation) throws {
        let f = try Support.fixture(file)
        let (vae, parameters) = Self.model(f, activation: activation)
        #expect(parameters.named.count == 10)
        parameters.zeroGrad()
        let loss = vae.loss(Batch(x: f["x"]!, labels: []), noise: Self.noise(f, step: 0))
        loss.total.backward()
        let expected = f["loss"]!
        #expect(abs(loss.total.value.scalar - expected[0]) / expected[0] < 1e-5)
        #expect(abs(loss.parts[0].value - expected[1]) / expected[1] < 1e-5)
        #expect(abs(loss.parts[1].value - expected[2]) / expected[2] < 1e-4)
        for (name, p) in parameters.named {
            let err = Support.relativeError(p.grad!, f["grad." + name]!)
            #expect(err < 1e-4, "gradient of \(name): relative error \(err)")
        }
    }

    @Test(arguments: [("vae_relu.safetensors", Activation.relu), ("vae_tanh.safetensors", .tanh)])
    func tenAdamStepsGivePyTorchsLosses(file: String, activation: Activation) throws {
        let f = try Support.fixture(file)
        let (vae, parameters) = Self.model(f, activation: activation)
        let adam = try Adam(parameters, learningRate: 1e-3)
        let expected = f["adam_losses"]!
        for step in 0..<expected.count {
            adam.zeroGrad()
            let loss = vae.loss(Batch(x: f["x"]!, labels: []), noise: Self.noise(f, step: step))
            loss.total.backward()
            adam.step()
            let rel = abs(loss.total.value.scalar - expected[step]) / expected[step]
            #expect(rel < 1e-4, "step \(step + 1): \(loss.total.value.scalar) vs PyTorch \(expected[step])")
        }
        for (name, p) in parameters.named {
            #expect(Support.relativeError(p.value, f["final." + name]!) < 1e-4, "weights \(name) after 10 steps")
        }
    }

    /// The IWAE's bound (and MIWAE's mean of m bounds) and both of its gradients against PyTorch's autograd on the
    /// same weights and noise: the bound's own, and DReG's (the paper's surrogate losses differentiated); the two
    /// differ in the encoder.
    @Test(arguments: [("iwae_dreg.safetensors", 1, false), ("iwae_dreg.safetensors", 1, true),
                      ("miwae_dreg.safetensors", 3, false), ("miwae_dreg.safetensors", 3, true)])
    func iwaeBoundAndGradientsMatchPyTorch(file: String, groups: Int, dreg: Bool) throws {
        let f = try Support.fixture(file)
        let x = f["x"]!, eps = f["eps"]!
        var config = ModelConfig(kind: groups > 1 ? .miwae : .iwae)
        (config.inputSize, config.imageHeight, config.imageWidth) = (x.shape[1], 1, x.shape[1])
        (config.hidden, config.latent) = ([f["param.encoder.0.weight"]!.shape[0]], eps.shape[1])
        config.importanceSamples = eps.shape[0] / (x.shape[0] * groups)
        if groups > 1 { config.importanceGroups = groups }
        config.doublyReparameterised = dreg
        try config.validate()
        var rng = RandomGenerator(seed: 0)
        let model = ImportanceWeightedAutoencoder(config, rng: &rng)
        for (name, p) in model.namedParameters { p.value.copy(from: f["param." + name]!) }
        let parameters = ParameterSet(model)
        #expect(parameters.named.count == 10)
        parameters.zeroGrad()
        let loss = model.loss(Batch(x: x, labels: []), noise: eps)
        loss.total.backward()
        #expect(abs(loss.total.value.scalar - f["loss"]![0]) / f["loss"]![0] < 1e-5)
        for (name, p) in parameters.named {
            let expected = f[(dreg ? "dreg." : "grad.") + name]!
            let err = Support.relativeError(p.grad!, expected)
            #expect(err < 1e-4, "\(dreg ? "DReG" : "bound") gradient of \(name): relative error \(err)")
            if name.hasPrefix("encoder") {  // the other estimator's encoder gradient is not this one's
                let other = f[(dreg ? "grad." : "dreg.") + name]!
                #expect(Support.relativeError(p.grad!, other) > 1e-2, "\(name): the estimators should differ")
            }
        }
    }

    @Test(arguments: ["conv_s2p1", "conv_s1p0", "convt_s2p1", "convt_s2p1_op1", "conv_k3s2p1"])
    func convolutionsMatchPyTorch(_ name: String) throws {
        let f = try Support.fixture("conv.safetensors")
        let x = Variable(f[name + ".x"]!.copy(), requiresGrad: true)
        let w = Variable(f[name + ".w"]!.copy(), requiresGrad: true),
            b = Variable(f[name + ".b"]!.copy(), requiresGrad: true)
        let y: Variable
        switch name {
        case "conv_s2p1", "conv_k3s2p1": y = Variable.conv2d(x, weight: w, bias: b, stride: 2, padding: 1)
        case "conv_s1p0": y = Variable.conv2d(x, weight: w, bias: b, stride: 1, padding: 0)
        case "convt_s2p1": y = Variable.convTranspose2d(x, weight: w, bias: b, stride: 2, padding: 1)
        default: y = Variable.convTranspose2d(x, weight: w, bias: b, stride: 2, padding: 1, outputPadding: 1)
        }
        #expect(y.shape == f[name + ".y"]!.shape)
        #expect(Support.relativeError(y.value, f[name + ".y"]!) < 1e-5)
        (y * Variable(f[name + ".g"]!)).sum().backward()
        #expect(Support.relativeError(x.grad!, f[name + ".dx"]!) < 1e-5)
        #expect(Support.relativeError(w.grad!, f[name + ".dw"]!) < 1e-5)
        #expect(Support.relativeError(b.grad!, f[name + ".db"]!) < 1e-5)
    }
}
