import Foundation
import Latent
import Testing

/// The drawn dSprites: the published grid of factors, each image's shape where its factors put it.
@Suite struct DSpritesTests {
    /// The test split, drawn once for the suite's tests.
    static let test: Dataset = try! DSprites.load(.test)

    /// The pixels of image `i` of `data` that are on, as (x, y).
    static func onPixels(_ data: Dataset, _ i: Int) -> [(x: Double, y: Double)] {
        let side = DSprites.side
        return (0..<(side * side)).compactMap { p in
            data.pixels[i * side * side + p] == 255 ? (Double(p % side) + 0.5, Double(p / side) + 0.5) : nil
        }
    }

    @Test func theGridIsThePublishedOne() throws {
        #expect(DSprites.factorSizes.reduce(1, *) == DSprites.count)
        #expect(DSprites.factors(of: 0) == [0, 0, 0, 0, 0])
        #expect(DSprites.factors(of: 1) == [0, 0, 0, 0, 1])
        #expect(DSprites.factors(of: DSprites.count - 1) == [2, 5, 39, 31, 31])
        #expect(DSprites.factors(of: 32 * 32 * 40 * 6) == [1, 0, 0, 0, 0])
        #expect(abs(DSprites.value(factor: 2, index: 39) - 2 * Double.pi) < 1e-12)
        #expect(DSprites.value(factor: 1, index: 5) == 1)
        let data = Self.test
        #expect(data.count == DSprites.count / 10 && data.height == 64 && data.channels == 1)
        let factors = try #require(data.factors)
        #expect(factors.names == DSprites.factorNames && factors.examples == data.count)
        // Test image k is grid image 10·k; its label is its shape.
        for k in [0, 1, 7, 20_000, data.count - 1] {
            let grid = DSprites.factors(of: 10 * k)
            #expect((0..<5).map { factors.column($0)[k] } == grid)
            #expect(Int(data.labels[k]) == grid[0])
        }
        let binary = stride(from: 0, to: data.pixels.count, by: 7).allSatisfy { data.pixels[$0] % 255 == 0 }
        #expect(binary)
        // A subset keeps each example's factors.
        let picked = data.subset([5, 2])
        #expect(picked.factors?.column(3) == [factors.column(3)[5], factors.column(3)[2]])
    }

    @Test func eachShapeIsWhereAndAsLargeAsItsFactorsSay() throws {
        let data = Self.test, factors = try #require(data.factors)
        let unitArea = [1.0, Double.pi * 0.5625 * 0.28125, 0.0]
        var heartAreas: [Int: [Double]] = [:]
        for k in stride(from: 3, to: data.count, by: 997) {
            let f = (0..<5).map { factors.column($0)[k] }
            let on = Self.onPixels(data, k)
            try #require(!on.isEmpty, "image \(k) is empty")
            // Nothing touches the canvas's edge.
            #expect(on.allSatisfy { $0.x > 1 && $0.y > 1 && $0.x < 63 && $0.y < 63 })
            let scale = DSprites.value(factor: 1, index: f[1]), unit = 16 * scale
            if f[0] < 2 {
                // Square and ellipse: the area is the shape's, to the pixels along its edge; the centroid is
                // the position.
                let area = unitArea[f[0]] * unit * unit
                #expect(abs(Double(on.count) - area) < 4 * unit, "image \(k) \(f): \(on.count) pixels vs \(area)")
                let cx = on.map(\.x).reduce(0, +) / Double(on.count), cy = on.map(\.y).reduce(0, +) / Double(on.count)
                #expect(abs(cx - (12 + 40 * DSprites.value(factor: 3, index: f[3]))) < 0.75, "image \(k) \(f)")
                #expect(abs(cy - (12 + 40 * DSprites.value(factor: 4, index: f[4]))) < 0.75, "image \(k) \(f)")
            } else {
                heartAreas[f[1], default: []].append(Double(on.count) / (unit * unit))
            }
        }
        // The heart's area grows as the square of its scale.
        let perUnit = heartAreas.values.flatMap { $0 }
        #expect(perUnit.count > 10)
        #expect(perUnit.max()! - perUnit.min()! < 0.2)
    }

    @Test func theColourVariantPaintsEachSpriteInItsOwnColour() throws {
        // Only the sprites' pixels carry colour, each channel in [128, 255]; the shape is the grey image's.
        let grey = Self.test.subset([0, 1, 2])
        let colour = try DSprites.load(.test, colour: true).subset([0, 1, 2])
        #expect(colour.channels == 3 && colour.factors == grey.factors)
        for i in 0..<3 {
            for p in 0..<(64 * 64) {
                let rgb = (0..<3).map { colour.pixels[(i * 4096 + p) * 3 + $0] }
                if grey.pixels[i * 4096 + p] == 255 {
                    #expect(rgb.allSatisfy { $0 >= 128 })
                } else {
                    #expect(rgb == [0, 0, 0])
                }
            }
        }
        if let out = ProcessInfo.processInfo.environment["LATENT_DSPRITES_PNG"] {
            let picks = (0..<48).map { $0 * 1531 % Self.test.count }
            let png = try ImageGrid.png(
                Self.test.subset(picks).batch(0..<48), height: 64, width: 64, columns: 12, scale: 2)
            try png.write(to: URL(fileURLWithPath: out))
        }
    }

    @Test func trainingFlushesSubnormalsOnEveryThread() {
        // DAZ and FTZ (x86): set inside `Subnormals.flushed`, on the helpers of a fork inside it, restored after.
        #if arch(x86_64)
            let before = Subnormals.flushing
            let seen = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 2)
            defer { seen.deallocate() }
            Subnormals.flushed { Parallel.forEach(2) { seen[$0] = Subnormals.flushing } }
            #expect(seen.allSatisfy { $0 } && !before && !Subnormals.flushing)
            let tiny = Float(bitPattern: 0x0080_0000 | (seen[0] ? 0 : 1))  // the least normal float, at run time
            #expect(Subnormals.flushed { tiny * Float(0.25) } == 0)
            #expect(tiny * Float(0.25) > 0)
        #endif
    }
}

/// `--dataset dsprites` and `latent eval --disentanglement` from the command line, and their refusals.
@Suite(.serialized) struct DSpritesCLITests {
    @Test func aModelOnDSpritesIsScoredForDisentanglement() throws {
        let run = Support.temporaryDirectory()
        try Support.expectSucceeded([
            [
                "train", "--dataset", "dsprites", "--epochs", "1", "--limit", "3000", "--hidden", "32", "--latent", "4",
                "--out", run.path, "--threads", "1",
            ]
        ])
        let r = try Support.runLatent(["eval", run.path, "--disentanglement", "--json", "--threads", "1"])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let m = try #require(json as? [String: Any], "\(r.stderr)")
        let mig = try #require(m["mig"] as? Double), fvae = try #require(m["factor_vae_eval_accuracy"] as? Double)
        let sap = try #require(m["sap"] as? Double)
        #expect((0...1).contains(mig) && (0...1).contains(fvae) && (0...1).contains(sap))
        #expect((m["mig_per_factor"] as? [String: Double])?.keys.sorted() == DSprites.factorNames.sorted())
        let figure = run.path + "/traversal.png"
        let t = try Support.runLatent(["plot", "traversal", run.path, "--image", "7", "--out", figure])
        #expect(t.status == 0 && (t.stdout + t.stderr).contains("rows: z"), "\(t.stderr)")
        #expect((try? Data(contentsOf: URL(fileURLWithPath: figure)).prefix(4)) == Data([0x89, 0x50, 0x4E, 0x47]))
        let mnist = Support.temporaryDirectory("mnist")
        try Support.expectSucceeded([
            ["train", "--epochs", "1", "--limit", "300", "--hidden", "16", "--latent", "2", "--out", mnist.path]
        ])
        try Support.expectRefused([
            (["eval", mnist.path, "--disentanglement"], "no ground-truth factors"),
            (["eval", run.path, "--disentanglement", "--iwae-k", "5"], "--disentanglement"),
            (["train", "--dataset", "dsprites", "--data-dir", run.path, "--out", run.path + "/x"], "--data-dir"),
            (["train", "--dataset", "dsprite", "--out", run.path + "/x"], "--dataset"),
            (["plot", "traversal", run.path, "--steps", "1", "--out", run.path + "/x.png"], "--steps"),
            (["plot", "traversal", run.path, "--range", "inf", "--out", run.path + "/x.png"], "--range"),
            (["plot", "traversal", run.path, "--image", "99999999", "--out", run.path + "/x.png"], "--image"),
        ])
        #expect(!FileManager.default.fileExists(atPath: run.path + "/x"))
        #expect(!FileManager.default.fileExists(atPath: run.path + "/x.png"))
    }
}
