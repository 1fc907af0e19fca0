import Foundation
import Latent
import Testing

/// The kinds penalised by a maximum mean discrepancy, the WAE and InfoVAE: their losses against Pythae's own
/// `WAE_MMD.loss_function` and `INFOVAE_MMD.loss_function` on fixed inputs (both kernels), the MMD's gradient
/// against finite differences, data-parallel workers against one graph, and every verb and bad flag.
@Suite struct MMDKindsTests {
    static func kernel(_ s: Tensor) -> MMDKernel {
        s.data[0] == 1 ? .rbf(bandwidth: s.data[1]) : .imq(bandwidth: s.data[1], scales: MMDKernel.pythaeScales)
    }

    @Test(arguments: ["imq", "rbf"])
    func theLossesArePythaes(_ name: String) throws {
        let f = try Support.fixture("pythae.safetensors")
        func t(_ key: String) throws -> Tensor { try #require(f["mmd.\(name).\(key)"], "no \(key)") }
        let (x, s, z) = (try t("x"), try t("settings"), Variable(try t("z")))
        let n = Float(x.shape[0]), logits = Variable(try t("logits"))
        let mmd = Variable.maximumMeanDiscrepancy(z, prior: try t("prior"), kernel: Self.kernel(s)).value.scalar
        let pythae = (mmd: try t("mmd").data[0], wae: try t("wae_loss").data[0], info: try t("infovae_loss").data[0])
        #expect(abs(mmd - pythae.mmd) <= 1e-5 * max(1, abs(pythae.mmd)), "MMD \(mmd) vs Pythae \(pythae.mmd)")
        // WAE: Σ (sigmoid(logits) − x)² / n + λ·MMD.
        let error = (logits.sigmoid() - Variable(x)).square().sum().value.scalar
        let wae = error / n + s.data[2] * mmd
        #expect(abs(wae - pythae.wae) <= 1e-5 * abs(pythae.wae), "WAE \(wae) vs Pythae \(pythae.wae)")
        // InfoVAE: (BCE + (1 − α)·KL) / n + (α + λ − 1)·MMD.
        let bce = Variable.binaryCrossEntropyWithLogits(logits, targets: x, reduction: .sum).value.scalar
        let kl = Variable.gaussianKLToStandardNormal(
            mean: Variable(try t("mean")), logVariance: Variable(try t("logvar")), reduction: .sum
        ).value.scalar
        let (alpha, lambda) = (s.data[3], s.data[4])
        let info = (bce + (1 - alpha) * kl) / n + (alpha + lambda - 1) * mmd
        #expect(abs(info - pythae.info) <= 1e-5 * abs(pythae.info), "InfoVAE \(info) vs Pythae \(pythae.info)")
    }

    @Test func aBatchOfOneHasNoPairs() throws {
        // Pythae divides 0 by 0 (NaN); Latent's within-sample sums of a batch of one are empty, 0.
        let f = try Support.fixture("pythae.safetensors")
        let (z, p) = (try #require(f["mmd.one.z"]), try #require(f["mmd.one.prior"]))
        #expect(try #require(f["mmd.one.mmd"]).data[0].isNaN)
        var r2: Float = 0
        for k in 0..<3 { r2 += (z.data[k] - p.data[k]) * (z.data[k] - p.data[k]) }
        let c: Float = 2 * 3, cross = MMDKernel.pythaeScales.map { c * $0 / (c * $0 + r2) }.reduce(0, +)
        let mmd = Variable.maximumMeanDiscrepancy(Variable(z), prior: p, kernel: ModelConfig.defaultMMDKernel)
        #expect(abs(mmd.value.scalar + 2 * cross) < 1e-5 * cross)
    }

    @Test(arguments: [MMDKernel.imq(bandwidth: 0.8, scales: [0.5, 1, 3]), .rbf(bandwidth: 0.6)])
    func theMMDsGradientMatchesFiniteDifferences(kernel: MMDKernel) {
        let prior = Support.random([6, 3], seed: 21, low: -2, high: 2)
        let error = GradientCheck.maxError(inputs: [Support.random([6, 3], seed: 22, low: -1.5, high: 1.5)]) { v in
            Variable.maximumMeanDiscrepancy(v[0], prior: prior, kernel: kernel) * 50
        }
        #expect(error < 2e-2, "\(kernel): \(error)")
    }

    /// Two data-parallel workers share the batch's codes: the same loss and gradient as one graph, the noise and
    /// prior draws replayed as the workers and the coupled part drew them.
    @Test(arguments: [ModelKind.wae, .infovae], [9, 128])
    func dataParallelWorkersGiveTheWholeBatchsGradient(kind: ModelKind, rows: Int) throws {
        var c = ModelConfig(kind: kind)
        (c.hidden, c.latent) = ([32], 3)
        if kind == .infovae { (c.infoAlpha, c.infoLambda) = (0.3, 1000) }
        var rng = RandomGenerator(seed: 1)
        let model = makeModel(c, rng: &rng)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([rows, 784], seed: 5, low: 0, high: 1))
        var stream = RandomGenerator(seed: 9), replay = stream
        let split = DataParallel(model, parameters: parameters, workers: 2).lossAndGradients(batch, rng: &stream)
        let gradient = parameters.grads.copy()
        // One graph on the same draws: each worker's noise, then the prior draws from the step's stream.
        let coupled = try #require(model as? any BatchCoupledModel)
        let seeds = [replay.next(), replay.next()]
        var locals: [(local: LossTerms, values: [Variable])] = []
        parameters.zeroGrad()
        for w in 0..<2 {
            var r = RandomGenerator(seed: seeds[w])
            locals.append(coupled.localLoss(WorkerShares.share(w, of: 2, in: batch), klWeight: nil, rng: &r))
        }
        let z = Variable.concatRows(locals[0].values[0], locals[1].values[0])
        let whole = coupled.coupledLoss([z], batch: batch, klWeight: nil, rng: &replay, threads: 1)
        let total = locals[0].local.total + locals[1].local.total + whole.total
        total.backward()
        #expect(abs(split.total - total.value.scalar) <= 1e-5 * abs(total.value.scalar))
        #expect(Support.relativeError(gradient, parameters.grads) < 1e-5)
    }

    @Test func everyVerbWorksAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory()
        for (kind, flags) in [
            ("wae", ["--mmd-weight", "1", "--mmd-kernel", "rbf"]), ("infovae", ["--info-lambda", "50"]),
        ] {
            let run = dir.appendingPathComponent(kind).path
            let train = try Support.runLatent(
                ["train", "--model", kind, "--hidden", "32", "--latent", "3", "--epochs", "1", "--limit", "500"]
                    + flags + ["--out", run, "--no-progress"])
            #expect(train.status == 0, "\(kind): \(train.stderr)")
            let metrics = try Support.evalJSON(run)
            #expect(metrics["kind"] as? String == kind && metrics["test_mmd"] != nil)
            try Support.expectSucceeded([
                ["sample", run, "--out", dir.appendingPathComponent("\(kind)-s.png").path],
                ["sample", run, "--prior", "gmm:3", "--out", dir.appendingPathComponent("\(kind)-g.png").path],
                ["reconstruct", run, "--out", dir.appendingPathComponent("\(kind)-r.png").path],
                ["export", run, "--onnx", dir.appendingPathComponent("\(kind)-onnx").path],
            ])
        }
        let wae = ["--model", "wae"], info = ["--model", "infovae"]
        try Support.expectTrainingRefused([
            (wae + ["--mmd-weight", "-1"], "--mmd-weight"), (wae + ["--mmd-weight", "inf"], "--mmd-weight"),
            (wae + ["--mmd-bandwidth", "0"], "--mmd-bandwidth"), (wae + ["--mmd-bandwidth", "nan"], "--mmd-bandwidth"),
            (wae + ["--mmd-kernel", "laplace"], "--mmd-kernel"), (wae + ["--likelihood", "gaussian"], "--likelihood"),
            (info + ["--info-alpha", "2"], "--info-alpha"), (info + ["--info-lambda", "-3"], "--info-lambda"),
            (info + ["--mmd-weight", "1"], "--mmd-weight"), (info + ["--beta", "2"], "--beta"),
            (["--model", "vae", "--mmd-kernel", "rbf"], "--mmd-kernel"),
        ])
    }
}
