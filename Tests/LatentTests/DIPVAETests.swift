import Foundation
import Latent
import Testing

/// DIP-VAE I and II: the penalty against the paper's formula computed apart in double precision, its gradient
/// against finite differences, data-parallel workers against one graph, and every verb and bad flag.
@Suite struct DIPVAETests {
    @Test(arguments: [false, true])
    func thePenaltyIsThePapers(typeTwo: Bool) {
        let (n, d) = (7, 3)
        let mean = Support.random([n, d], seed: 31, low: -2, high: 2), logVar = Support.random([n, d], seed: 32)
        let got = Variable.decorrelationPenalty(
            mean: Variable(mean), logVariance: Variable(logVar), withVariances: typeTwo, offDiagonal: 3, diagonal: 7
        ).value.scalar
        // Cov[μ] = E[(μ − E μ)(μ − E μ)ᵀ]; type II adds E[diag σ²].
        func m(_ i: Int, _ a: Int) -> Double { Double(mean.data[i * d + a]) }
        var expected = 0.0
        for a in 0..<d {
            for b in 0..<d {
                let ma = (0..<n).map { m($0, a) }.reduce(0, +) / Double(n)
                let mb = (0..<n).map { m($0, b) }.reduce(0, +) / Double(n)
                var c = (0..<n).map { (m($0, a) - ma) * (m($0, b) - mb) }.reduce(0, +) / Double(n)
                if typeTwo && a == b {
                    c += (0..<n).map { exp(Double(logVar.data[$0 * d + a])) }.reduce(0, +) / Double(n)
                }
                expected += a == b ? 7 * (c - 1) * (c - 1) : 3 * c * c
            }
        }
        #expect(abs(Double(got) - expected) <= 1e-5 * max(1, expected), "\(got) vs \(expected)")
    }

    @Test(arguments: [false, true])
    func theGradientMatchesFiniteDifferences(typeTwo: Bool) {
        let inputs = [Support.random([6, 3], seed: 33, low: -1.5, high: 1.5), Support.random([6, 3], seed: 34)]
        let error = GradientCheck.maxError(inputs: inputs) { v in
            Variable.decorrelationPenalty(
                mean: v[0], logVariance: v[1], withVariances: typeTwo, offDiagonal: 2, diagonal: 5)
        }
        #expect(error < 2e-2, "type \(typeTwo ? "II" : "I"): \(error)")
    }

    @Test(arguments: [false, true])
    func dataParallelWorkersGiveTheWholeBatchsGradient(typeTwo: Bool) throws {
        var c = ModelConfig(kind: .dipvae)
        (c.hidden, c.latent, c.decorrelation) = ([32], 3, Decorrelation(typeTwo: typeTwo, offDiagonal: 20))
        var rng = RandomGenerator(seed: 1)
        let model = DecorrelatedAutoencoder(c, rng: &rng)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([100, 784], seed: 5, low: 0, high: 1))
        var stream = RandomGenerator(seed: 9), replay = stream
        let split = DataParallel(model, parameters: parameters, workers: 2).lossAndGradients(batch, rng: &stream)
        let gradient = parameters.grads.copy()
        let seeds = [replay.next(), replay.next()]
        let noise = Tensor(uninitialized: [100, 3])
        for w in 0..<2 {
            var r = RandomGenerator(seed: seeds[w])
            let share = WorkerShares.rows(w, of: 2, in: 100), eps = Tensor(uninitialized: [share.count, 3])
            r.fillNormal(eps)
            (noise.data + share.lowerBound * 3).update(from: eps.data, count: eps.count)
        }
        parameters.zeroGrad()
        let whole = model.loss(batch, noise: noise)
        whole.total.backward()
        #expect(abs(split.total - whole.value) <= 1e-5 * abs(whole.value))
        #expect(Support.relativeError(gradient, parameters.grads) < 1e-5)
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "dipvae", "--dip-type", "ii", "--hidden", "32", "--latent", "3", "--epochs", "1",
            "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "dipvae" && metrics["test_dip"] != nil && metrics["elbo"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let model = ["--model", "dipvae"]
        try Support.expectTrainingRefused([
            (model + ["--dip-type", "iii"], "--dip-type"),
            (model + ["--dip-off-diagonal", "-1"], "--dip-off-diagonal"),
            (model + ["--dip-diagonal", "inf"], "--dip-diagonal"),
            (model + ["--dip-off-diagonal", "1e9"], "--dip-off"),
            (["--model", "vae", "--dip-type", "ii"], "--dip-type"),
        ])
    }
}
