import Foundation
import Latent
import Testing

/// The importance-sampled log-likelihood against cases whose answer is known in closed form.
@Suite struct ImportanceSamplingTests {
    /// A VAE whose decoder ignores z (last layer's weight zero, bias b): p(x|z) = p(x) = Π Bernoulli(x; σ(b)).
    static func constantDecoderVAE(
        meanBias: Float, logVarianceBias: Float
    ) -> (VariationalAutoencoder, Dataset, [Double]) {
        var c = ModelConfig(kind: .vae)
        c.inputSize = 16
        c.imageHeight = 4
        c.imageWidth = 4
        c.hidden = [8]
        c.latent = 3
        var rng = RandomGenerator(seed: 3)
        let vae = VariationalAutoencoder(c, rng: &rng)
        let bias = Support.random([16], seed: 4, low: -2, high: 2)
        for (name, p) in vae.namedParameters {
            switch name {
            case "mean.weight", "logvar.weight", "decoder.2.weight": p.value.fill(0)
            case "mean.bias": p.value.fill(meanBias)
            case "logvar.bias": p.value.fill(logVarianceBias)
            case "decoder.2.bias": (p.value.data).update(from: bias.data, count: 16)
            default: break
            }
        }
        let pixels = (0..<(5 * 16)).map { UInt8(($0 * 37) % 256) }
        let data = try! Dataset(name: "tiny", pixels: pixels, labels: [0, 1, 2, 3, 4], height: 4, width: 4)
        // log p(x) = −Σ BCE(b, x), in double precision.
        let exact = (0..<5).map { i -> Double in
            (0..<16).reduce(0.0) { acc, j in
                let x = Double(pixels[i * 16 + j]) / 255, l = Double(bias[j])
                return acc + (l * x - max(l, 0) - log1p(exp(-abs(l))))
            }
        }
        return (vae, data, exact)
    }

    @Test func posteriorEqualToPriorGivesTheExactLikelihoodForAnyK() {
        let (vae, data, exact) = Self.constantDecoderVAE(meanBias: 0, logVarianceBias: 0)
        for k in [1, 7, 3000] {
            let estimate = ImportanceSampling.logLikelihoods(vae, on: data, k: k, seed: 1)
            for i in 0..<5 {
                #expect(abs(estimate[i] - exact[i]) < 1e-3, "K = \(k), image \(i): \(estimate[i]) vs \(exact[i])")
            }
        }
    }

    @Test func aMismatchedPosteriorConvergesWithKAndTheELBOIsBelow() {
        // q = N(0.5, e^0.3), wider than the prior so the weights p/q are bounded: the K-sample bound rises
        // towards log p(x).
        let (vae, data, exact) = Self.constantDecoderVAE(meanBias: 0.5, logVarianceBias: 0.3)
        let one = ImportanceSampling.logLikelihoods(vae, on: data, k: 1, seed: 2)
        let many = ImportanceSampling.logLikelihoods(vae, on: data, k: 20_000, seed: 2, threads: 2)
        // KL(q ‖ p) per image, the ELBO's gap here: ½ Σ (σ² + μ² − 1 − log σ²) over 3 dims.
        let gap = 1.5 * (exp(0.3) + 0.25 - 1 - 0.3)
        for i in 0..<5 {
            #expect(abs(many[i] - exact[i]) < 0.02, "image \(i): \(many[i]) vs \(exact[i])")
            #expect(many[i] <= exact[i] + 0.02)
        }
        let meanOne = one.reduce(0, +) / 5, meanExact = exact.reduce(0, +) / 5
        #expect(
            meanOne < meanExact && abs((meanExact - meanOne) - gap) < 0.3,
            "K = 1 averages the ELBO: gap \(meanExact - meanOne) vs KL \(gap)")
    }
}

/// `--dreg`: an IWAE trained on the doubly-reparameterised gradient, saved with the switch, and the flag refused
/// where it does not apply.
@Suite struct DReGTrainingTests {
    @Test func trainsEvaluatesAndIsRefusedElsewhere() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "iwae", "--k", "4", "--dreg", "--hidden", "32", "--latent", "2", "--epochs", "1",
            "--limit", "500", "--binarize", "dynamic", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "iwae")
        let loss = metrics["test_loss"] as? Double ?? .nan
        #expect(loss.isFinite && loss > 0, "test loss \(loss)")
        let info = try Support.runLatent(["info", run, "--json"])
        #expect(info.stdout.contains("\"doublyReparameterised\":true"), "\(info.stdout)")
        try Support.expectTrainingRefused([
            (["--model", "vae", "--dreg"], "--dreg"),
            (["--model", "iwae", "--dreg", "--arch", "deepconv", "--dataset", "mnist"], "--dreg"),
        ])
    }
}

/// MIWAE and CIWAE (Rainforth et al. 2018): trained, evaluated, sampled and exported like the IWAE, their own flags
/// bounded and refused elsewhere.
@Suite struct MultiSampleBoundKindsTests {
    @Test(arguments: [
        ["--model", "miwae", "--m", "3", "--k", "2", "--dreg"], ["--model", "ciwae", "--elbo-weight", "0.3"],
    ])
    func everyVerbWorks(_ flags: [String]) throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent(
            ["train"] + flags + [
                "--hidden", "32", "--latent", "2", "--epochs", "1", "--limit", "500", "--out", run, "--no-progress",
            ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        let kind = flags[1]
        #expect(metrics["kind"] as? String == kind && metrics["test_\(kind)_bound"] != nil, "\(metrics)")
        #expect((metrics["elbo"] as? Double ?? .nan) < 0)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["eval", run, "--iwae-k", "20", "--images", "50"],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
    }

    @Test func badSettingsAreNamed() throws {
        try Support.expectTrainingRefused([
            (["--model", "miwae", "--m", "0"], "--m"),
            (["--model", "miwae", "--m", "1001"], "--m"),
            (["--model", "miwae", "--m", "1000", "--k", "100"], "--m"),
            (["--model", "ciwae", "--elbo-weight", "-0.1"], "--elbo-weight"),
            (["--model", "ciwae", "--elbo-weight", "inf"], "--elbo-weight"),
            (["--model", "ciwae", "--elbo-weight", "nan"], "--elbo-weight"),
            (["--model", "ciwae", "--dreg"], "--dreg"),
            (["--model", "vae", "--m", "2"], "--m"),
            (["--model", "iwae", "--elbo-weight", "0.5"], "--elbo-weight"),
            (["--model", "miwae", "--likelihood", "gaussian"], "--likelihood"),
        ])
    }
}
