import Foundation
import Latent
import Testing

/// The β-TCVAE: its loss against Pythae's own `BetaTCVAE.loss_function` on fixed inputs (both estimators of q(z),
/// a batch of two), its gradient against finite differences, and every verb and bad flag through the CLI.
@Suite struct BetaTCVAETests {
    @Test(arguments: ["mss", "mws", "pair"])
    func theLossIsPythaes(_ name: String) throws {
        let f = try Support.fixture("pythae.safetensors")
        func t(_ key: String) throws -> Tensor { try #require(f["betatcvae.\(name).\(key)"], "no \(key)") }
        let (x, w) = (try t("x"), try t("weights"))
        let n = x.shape[0]
        let (recon, parts) = (
            Variable.binaryCrossEntropyWithLogits(Variable(try t("logits")), targets: x, reduction: .sum),
            Variable.decomposedKL(
                z: Variable(try t("z")), mean: Variable(try t("mean")), logVariance: Variable(try t("logvar")),
                datasetSize: Int(try t("dataset_size").data[0]), stratified: try t("stratified").data[0] == 1,
                weights: (w.data[0], w.data[1], w.data[2]))
        )
        let ours = (recon: Double(recon.value.scalar) / Double(n), kl: Double(parts.loss.value.scalar) / Double(n))
        let pythae = (recon: Double(try t("reconstruction").data[0]), kl: Double(try t("kl").data[0]))
        #expect(abs(ours.recon - pythae.recon) <= 1e-5 * abs(pythae.recon), "reconstruction \(ours) vs \(pythae)")
        #expect(abs(ours.kl - pythae.kl) <= 1e-5 * max(1, abs(pythae.kl)), "weighted KL \(ours) vs \(pythae)")
        let p = parts.parts
        let weighted =
            Double(w.data[0]) * p.mutualInformation + Double(w.data[1]) * p.totalCorrelation
            + Double(w.data[2]) * p.dimensionwiseKL
        #expect(abs(weighted / Double(n) - pythae.kl) <= 1e-5 * max(1, abs(pythae.kl)), "the parts add up")
    }

    @Test(arguments: [true, false])
    func theGradientMatchesFiniteDifferences(stratified: Bool) {
        let z = Support.random([5, 3], seed: 11, low: -1.5, high: 1.5)
        let mean = Support.random([5, 3], seed: 12), logVar = Support.random([5, 3], seed: 13, low: -0.7, high: 0.5)
        let error = GradientCheck.maxError(inputs: [z, mean, logVar], step: 1e-2) { v in
            Variable.decomposedKL(
                z: v[0], mean: v[1], logVariance: v[2], datasetSize: 50, stratified: stratified,
                weights: (0.7, 4, 1.5)
            ).loss
        }
        #expect(error < 2e-2, "stratified \(stratified): \(error)")
    }

    /// Two data-parallel workers share the batch's codes: their summed gradient is the whole batch's on one graph,
    /// with the noise each worker drew.
    @Test(arguments: [7, 64])
    func dataParallelWorkersGiveTheWholeBatchsGradient(rows: Int) throws {
        var c = ModelConfig(kind: .betatcvae)
        (c.hidden, c.latent, c.totalCorrelation) = ([32], 3, TotalCorrelation(alpha: 0.5, beta: 5, gamma: 2))
        var rng = RandomGenerator(seed: 1)
        let model = BetaTCAutoencoder(c, rng: &rng)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([rows, 784], seed: 5, low: 0, high: 1), datasetSize: 1000)
        var stream = RandomGenerator(seed: 9), replay = stream
        let parallel = DataParallel(model, parameters: parameters, workers: 2)
        let split = parallel.lossAndGradients(batch, rng: &stream)
        let gradient = parameters.grads.copy()
        // The same noise: worker w's generator is seeded by the w-th draw of the step's stream.
        let seeds = [replay.next(), replay.next()]
        let noise = Tensor(uninitialized: [rows, 3])
        for w in 0..<2 {
            var r = RandomGenerator(seed: seeds[w])
            let share = WorkerShares.rows(w, of: 2, in: rows)
            let eps = Tensor(uninitialized: [share.count, 3])
            r.fillNormal(eps)
            (noise.data + share.lowerBound * 3).update(from: eps.data, count: eps.count)
        }
        parameters.zeroGrad()
        let whole = model.loss(batch, noise: noise)
        whole.total.backward()
        #expect(abs(split.total - whole.value) <= 1e-5 * abs(whole.value), "\(split.total) vs \(whole.value)")
        #expect(Support.relativeError(gradient, parameters.grads) < 1e-5)
        let names = split.parts.map(\.name)
        #expect(names == ["reconstruction", "mutual_information", "total_correlation", "dimensionwise_kl"])
    }

    @Test func theStratifiedWeightsArePythaes() {
        // Pythae's (and the paper's code's) matrix for n = 4, N = 10: 1/3 everywhere, column 0 1/N,
        // column 1 (N − 3)/(3N), and entry (2, 0) the latter.
        let w = Variable.stratifiedLogWeights(batch: 4, datasetSize: 10).map { exp(Double($0)) }
        let (a, s, m) = (0.1, 7.0 / 30, 1.0 / 3)
        let expected = [a, s, m, m, a, s, m, m, s, s, m, m, a, s, m, m]
        #expect(zip(w, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(w)")
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "betatcvae", "--tc-weight", "4", "--tc-estimator", "mws", "--hidden", "32",
            "--latent", "3", "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "betatcvae" && metrics["test_total_correlation"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let model = ["--model", "betatcvae"]
        try Support.expectTrainingRefused([
            (model + ["--tc-weight", "-1"], "--tc-weight"), (model + ["--tc-weight", "inf"], "--tc-weight"),
            (model + ["--tc-alpha", "nan"], "--tc-alpha"), (model + ["--tc-gamma", "1001"], "--tc-gamma"),
            (model + ["--tc-estimator", "exact"], "--tc-estimator"), (model + ["--beta", "4"], "--beta"),
            (["--model", "vae", "--tc-weight", "3"], "--tc-weight"),
        ])
    }
}
