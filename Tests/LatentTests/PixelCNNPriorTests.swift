import Foundation
import Latent
import Testing

/// The VQ-VAE's gated PixelCNN prior: its causal windows against finite differences, each position's logits blind
/// to that position and the ones after it, a fit that learns a known autoregressive rule, and `latent sample
/// --prior pixelcnn` (fitted, saved, reused, refused for other kinds) through the CLI.
@Suite struct PixelCNNPriorTests {
    @Test(arguments: [false, true])
    func causalWindowsHaveTheirGradient(includeCurrent: Bool) {
        let x = Support.random([2 * 5, 3], seed: 11)
        let weights = Support.random([2 * 5, 3 * 3], seed: 12)
        let error = GradientCheck.maxError(inputs: [x]) { v in
            (v[0].causalWindows(positions: 5, taps: 3, includeCurrent: includeCurrent) * Variable(weights)).sum()
        }
        #expect(error < 1e-2)
        // Position 0 of a mask-A window sees nothing; position 2's last tap is position 1 (mask A) or 2 (mask B).
        let w = Variable(x).causalWindows(positions: 5, taps: 3, includeCurrent: includeCurrent).value
        #expect((0..<(includeCurrent ? 6 : 9)).allSatisfy { w.data[$0] == 0 })
        let last = includeCurrent ? 2 : 1
        #expect((0..<3).allSatisfy { w.data[2 * 9 + 6 + $0] == x.data[last * 3 + $0] })
    }

    /// The index lookup equals the linear layer of one-hot rows, value and gradients (finite differences).
    @Test func theEmbeddingIsALinearLayerOfOneHotRows() {
        let indices = [2, 0, 4, 2, 1, 3]
        let w = Support.random([6, 5], seed: 13), bias = Support.random([6], seed: 14)
        let looked = Variable.embedding(indices, weight: Variable(w), bias: Variable(bias)).value
        let product = Variable.linear(
            Variable(Tensor.oneHot(indices, classes: 5)), weight: Variable(w), bias: Variable(bias)
        ).value
        #expect(looked.array == product.array)
        let weights = Support.random([6, 6], seed: 15)
        let error = GradientCheck.maxError(inputs: [w, bias]) { v in
            (Variable.embedding(indices, weight: v[0], bias: v[1]) * Variable(weights)).sum()
        }
        #expect(error < 1e-2)
    }

    /// Changing the indices at position t and after leaves the logits of positions 0 … t unchanged, and changing
    /// t − 1 changes position t's.
    @Test func eachPositionSeesOnlyTheOnesBeforeIt() {
        var rng = RandomGenerator(seed: 5)
        let net = GatedPixelCNN(positions: 7, classes: 6, channels: 8, layers: 3, taps: 2, rng: &rng)
        let base = [3, 1, 4, 1, 5, 2, 0]
        let reference = net(base).value
        for t in 0..<7 {
            var changed = base
            for s in t..<7 { changed[s] = (changed[s] + 1) % 6 }
            let logits = net(changed).value
            #expect((0..<((t + 1) * 6)).allSatisfy { logits.data[$0] == reference.data[$0] }, "position \(t)")
            if t > 0 {
                var before = base
                before[t - 1] = (before[t - 1] + 2) % 6
                let moved = net(before).value
                #expect((0..<6).contains { moved.data[t * 6 + $0] != reference.data[t * 6 + $0] })
            }
        }
    }

    /// Rows of x_t = x_{t−1} + 1 (mod 5) from a uniform x_0: after a short fit the held-out negative log-likelihood
    /// is near log 5 (the first index's alone), and samples follow the rule.
    @Test func aFitLearnsAnAutoregressiveRule() throws {
        var data = RandomGenerator(seed: 9)
        var indices: [Int] = []
        for _ in 0..<1200 {
            let first = Int(data.next() % 5)
            indices += (0..<6).map { (first + $0) % 5 }
        }
        var rng = RandomGenerator(seed: 1)
        let net = GatedPixelCNN(positions: 6, classes: 5, channels: 16, layers: 2, taps: 2, rng: &rng)
        let heldOut = try PixelCNNPrior.fit(net, indices: indices, epochs: 30, rng: &rng)
        #expect(heldOut < log(5) + 0.1, "held-out negative log-likelihood \(heldOut) nats per row")
        let samples = net.sample(count: 200, rng: &rng)
        var kept = 0
        for s in 0..<200 { for t in 1..<6 where samples[s * 6 + t] == (samples[s * 6 + t - 1] + 1) % 5 { kept += 1 } }
        #expect(kept >= 950, "\(kept) of 1000 transitions follow the rule")
    }

    @Test func sampleFitsSavesReusesAndRefuses() throws {
        let dir = Support.temporaryDirectory("pixelcnn"), run = dir.appendingPathComponent("run").path
        let squares = try MSSSIMVAETests.pictures(in: dir).path  // 180 training pictures: a quick fit
        let train = [
            "train", "--model", "vqvae", "--data", squares, "--codebook", "16", "--hidden", "32", "--latent", "4",
            "--epochs", "1", "--out", run, "--no-progress",
        ]
        #expect(try Support.runLatent(train).status == 0)
        let picture = dir.appendingPathComponent("s.png").path
        let first = try Support.runLatent(["sample", run, "--prior", "pixelcnn:1", "--count", "9", "--out", picture])
        #expect(first.status == 0 && first.stderr.contains("pixelcnn prior epoch 1/1"), "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: run + "/prior-pixelcnn.safetensors"))
        let again = try Support.runLatent(["sample", run, "--prior", "pixelcnn:1", "--count", "9", "--out", picture])
        #expect(again.status == 0 && again.stderr.contains("using the PixelCNN prior saved"), "\(again.stderr)")
        let vae = dir.appendingPathComponent("vae").path
        #expect(
            try Support.runLatent([
                "train", "--data", squares, "--hidden", "16", "--latent", "2", "--epochs", "1", "--out", vae,
                "--no-progress",
            ]).status == 0)
        let out = dir.appendingPathComponent("x.png").path
        try Support.expectRefused([
            (["sample", run, "--prior", "pixelcnn:0", "--out", out], "--prior"),
            (["sample", run, "--prior", "pixelcnn:x", "--out", out], "--prior"),
            (["sample", run, "--prior", "pixelcnn:1:2", "--out", out], "--prior"),
            (["sample", vae, "--prior", "pixelcnn", "--out", out], "vqvae"),
            (["sample", run, "--out", out], "--prior pixelcnn"),
        ])
    }
}
