import Foundation
import Latent
import Testing

/// The RAE with L2 penalties: its loss against Pythae's `RAE_L2.loss_function` on fixed inputs, the model's loss
/// (with the decoder's L2) against the formula computed apart, and sampling through a fitted mixture.
@Suite struct RAETests {
    @Test func theLossIsPythaes() throws {
        let f = try Support.fixture("pythae.safetensors")
        let (x, logits, z) = (try #require(f["rae.x"]), try #require(f["rae.logits"]), try #require(f["rae.z"]))
        let n = Float(x.shape[0])
        let error = (Variable(logits).sigmoid() - Variable(x)).square().sum().value.scalar
        let embedding = Variable(z).square().sum().value.scalar * 0.5
        let pythae = (loss: try #require(f["rae.loss"]).data[0], embedding: try #require(f["rae.embedding"]).data[0])
        #expect(abs(embedding / n - pythae.embedding) <= 1e-5 * pythae.embedding)
        #expect(abs((error + 0.3 * embedding) / n - pythae.loss) <= 1e-5 * pythae.loss)
    }

    @Test func theModelsLossAddsTheDecodersL2() throws {
        var c = ModelConfig(kind: .rae)
        (c.hidden, c.latent, c.embeddingWeight, c.decoderL2) = ([16], 3, 0.2, 0.01)
        var rng = RandomGenerator(seed: 1)
        let model = RegularizedAutoencoder(c, rng: &rng)
        let x = Support.random([6, 784], seed: 2, low: 0, high: 1)
        let terms = model.loss(Batch(x: x), rng: &rng)
        let z = model.encode(x), mean = model.reconstruct(x)
        var error = 0.0, squares = 0.0, weights = 0.0
        for i in 0..<x.count { error += pow(Double(mean.data[i] - x.data[i]), 2) }
        for i in 0..<z.count { squares += Double(z.data[i]) * Double(z.data[i]) }
        for p in model.decoder.parameters { for i in 0..<p.value.count { weights += pow(Double(p.value.data[i]), 2) } }
        let expected = error + 0.2 * 0.5 * squares + 6 * 0.01 * 0.5 * weights
        #expect(abs(Double(terms.value) - expected) <= 1e-4 * expected, "\(terms.value) vs \(expected)")
        #expect(abs(Double(try #require(terms["decoder_l2"])) - 6 * 0.005 * weights) <= 1e-4 * 0.03 * weights)
    }

    @Test func theSigmoidSquaredErrorIsTheComposedOnes() throws {
        let logits = Support.random([4, 6], seed: 6, low: -3, high: 3),
            t = Support.random([4, 6], seed: 7, low: 0, high: 1)
        let fused = Variable.sigmoidSquaredError(logits: Variable(logits), targets: t).value.scalar
        let composed = (Variable(logits).sigmoid() - Variable(t)).square().sum().value.scalar
        #expect(abs(fused - composed) <= 1e-5 * composed)
        let error = GradientCheck.maxError(inputs: [logits]) { v in
            Variable.sigmoidSquaredError(logits: v[0], targets: t) * 2
        }
        #expect(error < 1e-2, "\(error)")
    }

    @Test func theSumOfSquaresGradientIsTwiceTheValues() {
        let a = Support.random([5, 7], seed: 3), b = Support.random([19], seed: 4)
        let error = GradientCheck.maxError(inputs: [a, b]) { v in Variable.sumOfSquares(v) * 0.7 }
        #expect(error < 1e-2, "\(error)")
        // Into a parameter's own gradient buffer, in place: 2·g·θ added to what was there.
        let buffer = Tensor(repeating: 1, shape: [5, 7])
        let leaf = Variable(parameter: a, grad: buffer)
        (Variable.sumOfSquares([leaf]) * 3).backward()
        #expect((0..<a.count).allSatisfy { abs(buffer.data[$0] - (1 + 6 * a.data[$0])) < 1e-5 })
    }

    @Test func itSamplesThroughAFittedMixtureAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "rae", "--embedding-weight", "0.01", "--hidden", "32", "--latent", "3", "--epochs",
            "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let normal = try Support.runLatent(["sample", run, "--out", dir.appendingPathComponent("n.png").path])
        #expect(normal.status != 0 && normal.stderr.contains("--prior gmm"), "\(normal.stderr)")
        let gmm = try Support.runLatent([
            "sample", run, "--prior", "gmm:4", "--out", dir.appendingPathComponent("g.png").path,
        ])
        #expect(gmm.status == 0, "\(gmm.stderr)")
        let export = try Support.runLatent(["export", run, "--onnx", dir.appendingPathComponent("onnx").path])
        #expect(export.status == 0, "\(export.stderr)")
        let model = ["--model", "rae"]
        try Support.expectTrainingRefused([
            (model + ["--embedding-weight", "-1"], "--embedding-weight"),
            (model + ["--decoder-l2", "inf"], "--decoder-l2"),
            (model + ["--decoder-l2", "1001"], "--decoder-l2"), (model + ["--likelihood", "gaussian"], "--likelihood"),
            (["--model", "ae", "--decoder-l2", "1"], "--decoder-l2"),
        ])
    }
}
