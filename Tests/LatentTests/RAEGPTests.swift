import Foundation
import Latent
import Testing

/// RAE-GP: its gradient penalty is |∇ₓ Σ x̂|² (against finite differences of the model's own output), the
/// loss's gradient (second order through the penalty) against finite differences, and every verb and bad flag
/// through the CLI. Its loss against Pythae's own `RAE_GP`: Scripts/family/check_pythae.py.
@Suite struct RAEGPTests {
    static func model(_ activation: Activation) -> (GradientPenaltyAutoencoder, ParameterSet) {
        var c = ModelConfig(kind: .raegp)
        (c.hidden, c.latent, c.activation, c.embeddingWeight, c.gradientPenalty) = ([5], 2, activation, 0.5, 10)
        var rng = RandomGenerator(seed: 8)
        let model = GradientPenaltyAutoencoder(c, rng: &rng)
        return (model, ParameterSet(model))
    }

    /// The penalty of one image is λ·Σ_i (∂ Σ x̂ / ∂x_i)², each derivative by central differences of
    /// `reconstruct`.
    @Test(arguments: [Activation.tanh, .relu])
    func thePenaltyIsTheInputGradientOfTheOutput(_ activation: Activation) throws {
        let (model, _) = Self.model(activation)
        let x = Support.random([1, 784], seed: 3, low: 0.2, high: 0.8)
        var rng = RandomGenerator(seed: 1)
        let penalty = Double(try #require(model.loss(Batch(x: x), rng: &rng)["gradient_penalty"]))
        func output(_ x: Tensor) -> Double { model.reconstruct(x).array.reduce(0) { $0 + Double($1) } }
        var squares = 0.0
        let h: Float = 1e-2
        for i in 0..<784 {
            let old = x.data[i]
            x.data[i] = old + h
            let up = output(x)
            x.data[i] = old - h
            let down = output(x)
            x.data[i] = old
            squares += pow((up - down) / Double(2 * h), 2)
        }
        #expect(abs(penalty - 10 * squares) <= 2e-2 * 10 * squares, "\(activation): \(penalty) vs \(10 * squares)")
    }

    /// Differentiating the loss differentiates through the penalty's gradient: the largest parameter gradients
    /// against central differences of the loss (tanh: smooth everywhere).
    @Test func theLossGradientIsSecondOrderThroughThePenalty() {
        let (model, parameters) = Self.model(.tanh)
        let batch = Batch(x: Support.random([4, 784], seed: 5, low: 0, high: 1))
        func loss() -> Double {
            var rng = RandomGenerator(seed: 1)
            return Double(model.loss(batch, rng: &rng).value)
        }
        var rng = RandomGenerator(seed: 1)
        parameters.zeroGrad()
        model.loss(batch, rng: &rng).total.backward()
        Support.expectLargestGradientsMatch(parameters, tolerance: (2e-2, 1e-2), loss)
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "raegp", "--gradient-penalty", "0.01", "--embedding-weight", "0.1", "--hidden", "32",
            "--latent", "3", "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "raegp" && metrics["test_gradient_penalty"] != nil, "\(metrics)")
        try Support.expectSucceeded([
            ["sample", run, "--prior", "gmm:3", "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["plot", "traversal", run, "--image", "2", "--out", dir.appendingPathComponent("t.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let model = ["--model", "raegp"]
        try Support.expectTrainingRefused([
            (model + ["--gradient-penalty", "-1"], "--gradient-penalty"),
            (model + ["--gradient-penalty", "inf"], "--gradient-penalty"),
            (model + ["--embedding-weight", "nan"], "--embedding-weight"), (model + ["--arch", "conv"], "--arch"),
            (["--model", "rae", "--gradient-penalty", "1"], "--gradient-penalty"),
        ])
    }
}
