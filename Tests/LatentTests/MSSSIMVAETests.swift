import Foundation
import Latent
import Testing

/// The MS-SSIM VAE: its similarity at the points the definition fixes, the single-scale SSIM against a direct sum
/// in double precision, its gradient against finite differences, and every verb and bad flag through the CLI. Its
/// loss on trained weights is held to PyTorch's conv2d/avg_pool2d reimplementation by Scripts/family/check_pythae.py.
@Suite struct MSSSIMVAETests {
    @Test func identicalPicturesScoreOneAndNoiseLowersTheScore() {
        let x = Support.random([3, 784], seed: 1, low: 0, high: 1)
        let same = MSSSIMVAE.similarity(Variable(x), x, height: 28, width: 28, channels: 1, window: 11).value
        for i in 0..<3 { #expect(abs(same.data[i] - 1) < 1e-4, "\(same.data[i])") }
        var previous: Float = 1
        for amplitude: Float in [0.05, 0.2, 0.5] {
            let noise = Support.random([3, 784], seed: 2, low: -amplitude, high: amplitude)
            let noisy = Tensor(uninitialized: [3, 784])
            for i in 0..<x.count { noisy.data[i] = min(1, max(0, x.data[i] + noise.data[i])) }
            let s = MSSSIMVAE.similarity(Variable(noisy), x, height: 28, width: 28, channels: 1, window: 11).value
            #expect(s.data[0] < previous && s.data[0] > 0, "amplitude \(amplitude): \(s.data[0])")
            previous = s.data[0]
        }
    }

    /// The Gaussian window applied by a direct double-precision sum with zero padding, and the five scales'
    /// product computed from those sums, equal the convolution-built figure.
    @Test func theFiveScaleProductMatchesADirectSum() {
        let (h, w, k) = (16, 20, 5)
        let a = Support.random([1, h * w], seed: 3, low: 0, high: 1)
        let b = Support.random([1, h * w], seed: 4, low: 0, high: 1)
        let window = MSSSIMVAE.gaussianWindow(k).map(Double.init)
        var (pa, pb) = ((0..<(h * w)).map { Double(a.data[$0]) }, (0..<(h * w)).map { Double(b.data[$0]) })
        var (height, width) = (h, w)
        var logProduct = 0.0
        for (level, weight) in MSSSIMVAE.scaleWeights.enumerated() {
            func blur(_ v: [Double]) -> [Double] {
                var out = [Double](repeating: 0, count: v.count)
                for y in 0..<height {
                    for x in 0..<width {
                        var s = 0.0
                        for dy in 0..<k {
                            for dx in 0..<k {
                                let (yy, xx) = (y + dy - k / 2, x + dx - k / 2)
                                if yy >= 0, yy < height, xx >= 0, xx < width {
                                    s += window[dy] * window[dx] * v[yy * width + xx]
                                }
                            }
                        }
                        out[y * width + x] = s
                    }
                }
                return out
            }
            let (ma, mb) = (blur(pa), blur(pb))
            let (aa, bb, ab) = (blur(zip(pa, pa).map(*)), blur(zip(pb, pb).map(*)), blur(zip(pa, pb).map(*)))
            var (cs, ssim) = (0.0, 0.0)
            for i in 0..<pa.count {
                let v1 = 2 * (ab[i] - ma[i] * mb[i]) + 0.0009
                let v2 = aa[i] - ma[i] * ma[i] + bb[i] - mb[i] * mb[i] + 0.0009
                cs += v1 / v2
                ssim += (2 * ma[i] * mb[i] + 0.0001) * v1 / ((ma[i] * ma[i] + mb[i] * mb[i] + 0.0001) * v2)
            }
            let term = (level == 4 ? ssim : cs) / Double(pa.count)
            logProduct += Double(weight) * log(max(term, 0) + 1e-6)
            func pooled(_ v: [Double]) -> [Double] {
                (0..<(height / 2)).flatMap { y in
                    (0..<(width / 2)).map { x in
                        (v[2 * y * width + 2 * x] + v[2 * y * width + 2 * x + 1] + v[(2 * y + 1) * width + 2 * x]
                            + v[(2 * y + 1) * width + 2 * x + 1]) / 4
                    }
                }
            }
            (pa, pb) = (pooled(pa), pooled(pb))
            (height, width) = (height / 2, width / 2)
        }
        let got = MSSSIMVAE.similarity(Variable(a), b, height: h, width: w, channels: 1, window: k).value.data[0]
        #expect(abs(Double(got) - exp(logProduct)) < 1e-4, "\(got) vs \(exp(logProduct))")
    }

    @Test func theSimilaritysGradientMatchesFiniteDifferences() {
        let targets = Support.random([1, 16 * 16 * 3], seed: 5, low: 0, high: 1)
        let means = Support.random([1, 16 * 16 * 3], seed: 6, low: 0.2, high: 0.8)
        let error = GradientCheck.maxError(inputs: [means]) { v in
            MSSSIMVAE.similarity(v[0], targets, height: 16, width: 16, channels: 3, window: 5).sum()
        }
        #expect(error < 2e-2, "\(error)")
    }

    /// 200 grey 16 × 16 pictures (a bright square at a random place) as an NPY array, PyTorch's [n, h, w] order.
    static func pictures(in dir: URL) throws -> URL {
        var rng = RandomGenerator(seed: 8)
        var values = [Float](repeating: 0, count: 200 * 256)
        for i in 0..<200 {
            let (x, y) = (rng.below(12), rng.below(12))
            for dy in 0..<4 { for dx in 0..<4 { values[i * 256 + (y + dy) * 16 + x + dx] = 1 } }
        }
        let npy = String(data: ArrayWriters.npy(values, rows: 200, columns: 256), encoding: .isoLatin1)!
            .replacingOccurrences(of: "(200, 256)", with: "(200,16,16)").replacingOccurrences(of: " \n", with: "\n")
        let url = dir.appendingPathComponent("squares.npy")
        try npy.data(using: .isoLatin1)!.write(to: url)
        return url
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let squares = try Self.pictures(in: dir).path
        let train = try Support.runLatent([
            "train", "--model", "msssimvae", "--data", squares, "--ssim-window", "7", "--hidden", "32", "--latent",
            "2", "--epochs", "1", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "msssimvae" && metrics["test_ms_ssim"] != nil)
        #expect(metrics["elbo"] == nil, "an MS-SSIM loss is no likelihood bound")
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        let table = try Support.writeCSV("t.csv", in: dir, header: "a,b,c", rows: 50, seed: 7) { _, rng in
            (0..<3).map { _ in String(rng.uniform()) }
        }
        try Support.expectTrainingRefused([
            (["--model", "msssimvae", "--ssim-weight", "0"], "--ssim-weight"),
            (["--model", "msssimvae", "--ssim-weight", "inf"], "--ssim-weight"),
            (["--model", "msssimvae", "--ssim-weight", "nan"], "--ssim-weight"),
            (["--model", "msssimvae", "--ssim-weight", "2e6"], "--ssim-weight"),
            (["--model", "msssimvae", "--ssim-window", "4"], "--ssim-window"),
            (["--model", "msssimvae", "--ssim-window", "33"], "--ssim-window"),
            (["--model", "vae", "--ssim-weight", "3"], "--ssim-weight"),
            (["--model", "msssimvae", "--likelihood", "gaussian"], "--likelihood"),
            (["--model", "msssimvae", "--data", table.path], "16x16"),
        ])
    }
}
