import Foundation
import Latent
import Testing

/// The VQ-VAE: its codebook's nearest entries, moving averages and restarts against a hand computation of Pythae's
/// update, its straight-through gradient, and every verb, a resumed run and bad flags through the CLI. Its loss
/// against Pythae's own `VQVAE`: Scripts/family/check_pythae.py.
@Suite struct VQVAETests {
    /// Nearest entries by Euclidean distance; one update of counts (decay 0.5), sums and entries as Pythae's
    /// `QuantizerEMA` computes them; an entry no row chose (its count below 1% of the mean) restarts at a row.
    @Test func theCodebookMovesAsPythaesAndRestartsDeadEntries() {
        var rng = RandomGenerator(seed: 1)
        let q = VectorQuantizer(VectorQuantization(size: 3, dimension: 2, decay: 0.5), rng: &rng)
        let entries: [Float] = [0, 0, 1, 1, 10, 10]
        q.embeddings.value.data.update(from: entries, count: 6)
        q.sums.value.data.update(from: entries, count: 6)
        for j in 0..<3 { q.clusterSize.value.data[j] = 1 }
        let z = Tensor([0.1, -0.2, 0.9, 1.3, 0.2, 0.1, 1.4, 0.8], shape: [2, 4])
        let indices = q.nearest(z)
        #expect(indices == [0, 1, 0, 1])
        q.update(z, indices: indices, seed: 7)
        // Pythae: counts 0.5·1 + 0.5·2 = 1.5 (entries 0, 1) and 0.5 (entry 2), then Laplace-smoothed with n = 3.5.
        let n: Float = 3.5, k: Float = 3
        let smoothed = [1.5, 1.5, 0.5].map { ($0 + 1e-5) / (n + k * 1e-5) * n }
        let sums: [Float] = [0.5 * 0 + 0.5 * 0.3, 0.5 * 0 + 0.5 * -0.1, 0.5 + 0.5 * 2.3, 0.5 + 0.5 * 2.1, 5, 5]
        for j in 0..<2 {
            #expect(abs(q.clusterSize.value.data[j] - smoothed[j]) < 1e-6)
            for i in 0..<2 {
                #expect(abs(q.embeddings.value.data[j * 2 + i] - sums[j * 2 + i] / smoothed[j]) < 1e-5)
            }
        }
        // Entry 2's count 0.5 is above 1% of the mean (3.5 / 3): it stays where its sums put it.
        #expect(abs(q.embeddings.value.data[4] - 5 / smoothed[2]) < 1e-4)
        // Decay 0.99: an entry never chosen falls below the floor and restarts at one of the batch's rows.
        let r = VectorQuantizer(VectorQuantization(size: 3, dimension: 2, decay: 0.99), rng: &rng)
        r.embeddings.value.data.update(from: entries, count: 6)
        r.sums.value.data.update(from: entries, count: 6)
        r.update(z, indices: r.nearest(z), seed: 7)
        let rows = (0..<4).map { [z.data[2 * $0], z.data[2 * $0 + 1]] }
        let restarted = [r.embeddings.value.data[4], r.embeddings.value.data[5]]
        #expect(rows.contains { abs($0[0] - restarted[0]) < 1e-4 && abs($0[1] - restarted[1]) < 1e-4 }, "\(restarted)")
    }

    /// The vectorised search finds the first nearest entry, as a plain loop over the distances does: 37 entries
    /// (not a multiple of its 8 lanes) of 1 and 3 values, small integers and quarters (every distance exact, so
    /// ties are many and the first must win).
    @Test func theNearestEntryIsTheFirstOfTheSmallestDistances() {
        for (size, dimension) in [(37, 1), (37, 3), (5, 2), (512, 1)] {
            var rng = RandomGenerator(seed: UInt64(size * dimension))
            let q = VectorQuantizer(VectorQuantization(size: size, dimension: dimension), rng: &rng)
            let e = q.embeddings.value.data
            for i in 0..<(size * dimension) { e[i] = Float(rng.below(9)) - 4 }
            let z = Tensor(uninitialized: [40, dimension])
            for i in 0..<(40 * dimension) { z.data[i] = Float(rng.below(33)) / 4 - 4 }
            let expected = (0..<40).map { r in
                (0..<size).min {
                    func distance(_ j: Int) -> Float {
                        var norm: Float = 0, product: Float = 0
                        for i in 0..<dimension {
                            norm += e[j * dimension + i] * e[j * dimension + i]
                            product += z.data[r * dimension + i] * e[j * dimension + i]
                        }
                        return norm - 2 * product
                    }
                    return (distance($0), $0) < (distance($1), $1)
                }!
            }
            #expect(q.nearest(z) == expected, "\(size) × \(dimension)")
        }
    }

    /// The encoder's code gets the decoder's gradient at the quantized code (straight through) plus the
    /// commitment's 2β/L·(z − z_q); the codebook gets none (it is not a parameter), and evaluation leaves it still.
    @Test func theGradientPassesStraightThroughTheCodebook() throws {
        var c = ModelConfig(kind: .vqvae)
        (c.hidden, c.latent, c.quantization) = ([16], 4, VectorQuantization(size: 8, commitment: 0.7))
        var rng = RandomGenerator(seed: 2)
        let model = VectorQuantizedAutoencoder(c, rng: &rng)
        model.setTraining(false)
        let parameters = ParameterSet(model)
        let batch = Batch(x: Support.random([5, 784], seed: 4, low: 0, high: 1))
        let before = model.quantizer.embeddings.value.array
        parameters.zeroGrad()
        var noise = RandomGenerator(seed: 3)
        model.loss(batch, rng: &noise).total.backward()
        #expect(model.quantizer.embeddings.value.array == before, "evaluation does not move the codebook")
        // The decoder's gradient at the quantized codes, by itself.
        let z = model.codeLayer(model.body(Variable(batch.x))).value
        let quantized = Variable(model.quantize(z), requiresGrad: true)
        Variable.sigmoidSquaredError(logits: model.decoder(quantized), targets: batch.x).backward()
        let g = try #require(quantized.grad)
        let bias = try #require(model.codeLayer.namedParameters.first { $0.name == "bias" }?.parameter.grad)
        for j in 0..<4 {
            var expected: Float = 0
            for r in 0..<5 {
                expected += g.data[r * 4 + j] + 2 * 0.7 / 4 * (z.data[r * 4 + j] - quantized.value.data[r * 4 + j])
            }
            #expect(abs(bias.data[j] - expected) <= 1e-4 * max(1, abs(expected)), "code \(j)")
        }
    }

    @Test func everyVerbWorksResumeContinuesAndBadFlagsAreNamed() throws {
        let dir = Support.temporaryDirectory("verbs-vqvae"), run = dir.appendingPathComponent("run").path
        let small = [
            "train", "--model", "vqvae", "--codebook", "32", "--commitment", "0.5", "--codebook-decay", "0.9",
            "--hidden", "32", "--latent", "4", "--limit", "600", "--seed", "5", "--threads", "2", "--no-progress",
        ]
        #expect(try Support.runLatent(small + ["--epochs", "3", "--out", run]).status == 0)
        let metrics = try Support.evalJSON(run)
        let perplexity = try #require(metrics["codebook_perplexity"] as? Double)
        let used = try #require(metrics["codebook_used"] as? Double)
        #expect(perplexity > 1 && perplexity <= used && used <= 32 && metrics["dead_codes"] as? Double == 32 - used)
        try Support.expectSucceeded([
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["interpolate", run, "--from", "0", "--to", "1", "--out", dir.appendingPathComponent("i.png").path],
            ["encode", run, "--out", dir.appendingPathComponent("codes.npy").path],
            ["sample", run, "--prior", "gmm:3", "--out", dir.appendingPathComponent("g.png").path],
        ])
        let onnx = try Support.runLatent(["export", run, "--onnx", dir.appendingPathComponent("onnx").path])
        #expect(onnx.status != 0 && onnx.stderr.contains("codebook"), "\(onnx.stderr)")
        let part = dir.appendingPathComponent("part").path
        #expect(try Support.runLatent(small + ["--epochs", "2", "--out", part]).status == 0)
        let resumed = try Support.runLatent([
            "train", "--resume", part, "--epochs", "3", "--limit", "600", "--no-progress",
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try Support.expectSameModel(run, part, "weights and codebook after 2 + 1 epochs equal those after 3")
        let model = ["--model", "vqvae", "--latent", "4"]
        try Support.expectTrainingRefused([
            (model + ["--codebook", "0"], "--codebook"), (model + ["--codebook", "70000"], "--codebook"),
            (model + ["--codebook-dim", "3"], "--codebook-dim"), (model + ["--codebook-dim", "0"], "--codebook-dim"),
            (model + ["--commitment", "-1"], "--commitment"), (model + ["--commitment", "nan"], "--commitment"),
            (model + ["--codebook-decay", "1"], "--codebook-decay"),
            (model + ["--codebook-decay", "nan"], "--codebook-decay"),
            (model + ["--likelihood", "gaussian"], "--likelihood"),
            (["--model", "vae", "--codebook", "16"], "--codebook"),
        ])
    }
}
