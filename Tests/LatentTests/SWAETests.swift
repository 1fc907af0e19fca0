import Foundation
import Latent
import Testing

/// The sliced-Wasserstein autoencoder: its distance against the paper's definition computed apart in double
/// precision, its gradient against finite differences, data-parallel workers against one graph, and every verb and
/// bad flag.
@Suite struct SWAETests {
    @Test(arguments: [Float(1), 2, 3])
    func theDistanceIsThePapers(power: Float) {
        let (n, d, l) = (9, 3, 4)
        let z = Support.random([n, d], seed: 41, low: -2, high: 2), p = Support.random([n, d], seed: 42)
        let theta = Support.random([l, d], seed: 43)
        let got = Variable.slicedWasserstein(Variable(z), prior: p, directions: theta, power: power).value.scalar
        var expected = 0.0
        for k in 0..<l {
            func projected(_ t: Tensor) -> [Double] {
                var out = [Double](repeating: 0, count: n)
                for i in 0..<n {
                    for j in 0..<d { out[i] += Double(t.data[i * d + j]) * Double(theta.data[k * d + j]) }
                }
                return out
            }
            for (a, b) in zip(projected(z).sorted(), projected(p).sorted()) {
                expected += pow(abs(a - b), Double(power))
            }
        }
        expected /= Double(l * n)
        #expect(abs(Double(got) - expected) <= 1e-5 * max(1, expected), "\(got) vs \(expected)")
    }

    @Test func theGradientMatchesFiniteDifferences() {
        let p = Support.random([6, 3], seed: 44), theta = Support.random([5, 3], seed: 45)
        let error = GradientCheck.maxError(inputs: [Support.random([6, 3], seed: 46, low: -2, high: 2)], step: 1e-3) {
            Variable.slicedWasserstein($0[0], prior: p, directions: theta, power: 2) * 10
        }
        #expect(error < 2e-2, "\(error)")
    }

    @Test func dataParallelWorkersGiveTheWholeBatchsGradient() throws {
        var c = ModelConfig(kind: .swae)
        (c.hidden, c.latent, c.slicedWasserstein) = ([32], 3, SlicedWasserstein(weight: 50, projections: 20))
        var rng = RandomGenerator(seed: 1)
        let model = SlicedWassersteinAutoencoder(c, rng: &rng)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([100, 784], seed: 5, low: 0, high: 1))
        var stream = RandomGenerator(seed: 9), replay = stream
        let split = DataParallel(model, parameters: parameters, workers: 2).lossAndGradients(batch, rng: &stream)
        let gradient = parameters.grads.copy()
        parameters.zeroGrad()
        _ = (replay.next(), replay.next())  // the workers' seeds (a deterministic encoder draws nothing)
        let (local, values) = model.localLoss(batch, klWeight: nil, rng: &replay)
        let coupled = model.coupledLoss(values, batch: batch, klWeight: nil, rng: &replay, threads: 1)
        let total = local.total + coupled.total
        total.backward()
        #expect(abs(split.total - total.value.scalar) <= 1e-5 * abs(total.value.scalar))
        #expect(Support.relativeError(gradient, parameters.grads) < 1e-5)
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "swae", "--sw-projections", "20", "--hidden", "32", "--latent", "3", "--epochs", "1",
            "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "swae" && metrics["test_sliced_wasserstein"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let model = ["--model", "swae"]
        try Support.expectTrainingRefused([
            (model + ["--sw-weight", "-1"], "--sw-weight"), (model + ["--sw-projections", "0"], "--sw-projections"),
            (model + ["--sw-projections", "100000"], "--sw-projections"),
            (model + ["--sw-power", "0.5"], "--sw-power"),
            (model + ["--sw-power", "nan"], "--sw-power"),
            (["--model", "vae", "--sw-weight", "3"], "--sw-weight"),
        ])
    }
}
