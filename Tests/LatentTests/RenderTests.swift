import Foundation
import Latent
import Testing

@Suite struct RenderTests {
    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        guard data.count > 24, Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            return nil
        }
        func be32(_ o: Int) -> Int { data[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// Classes beyond ten get colours of their own (tab10, tab20's light half, then golden-angle hues).
    @Test func everyClassHasItsOwnColour() {
        let colours = (0..<40).map { k in
            let c = RGB.category(k)
            return [c.r, c.g, c.b].map { Int(($0 * 255).rounded()) }
        }
        #expect(Set(colours).count == 40)
        #expect(colours.allSatisfy { $0.allSatisfy { (0...255).contains($0) } })
        #expect(colours[10] == [0xae, 0xc7, 0xe8])
    }

    @Test func imageGridIsARealPNGOfTheRightSize() throws {
        let images = Tensor(zeros: [10, 4 * 3])
        images[0] = 1
        let png = try ImageGrid.png(images, height: 4, width: 3, columns: 4, scale: 2, gap: 1)
        let size = try #require(Self.pngSize(png))
        // 4 columns × (3·2 + 1) + 1, 3 rows × (4·2 + 1) + 1
        #expect(size.0 == 29 && size.1 == 28)
    }
}

@Suite struct PlotTests {
    static let panel = Plots.Panel(
        x: (0..<200).map { Float($0 % 20) }, y: (0..<200).map { Float($0 / 20) * 0.5 },
        xLabel: "z0", yLabel: "z1")
    static let labels = (0..<200).map { $0 % 10 }

    /// Distinct colours among the pixels of a decoded PNG would need a decoder; instead check the PNG's
    /// size and that Cairo drew more than a blank page (compressed size grows with content).
    @Test func scatterPNGHasTheExpectedSizeAndIsNotBlank() throws {
        let png = try Plots.scatter([Self.panel], labels: Self.labels, title: "codes", format: .png, panelSize: 400)
        let size = try #require(RenderTests.pngSize(png))
        #expect(size.0 == 400 && size.1 == 400)
        let blank = try Canvas(width: 400, height: 400, format: .png).finish()
        #expect(png.count > blank.count * 5, "\(png.count) bytes vs blank \(blank.count)")
        let three = try Plots.scatter(
            [Self.panel, Self.panel, Self.panel], labels: Self.labels, title: "codes", format: .png, panelSize: 300)
        #expect(RenderTests.pngSize(three).map { $0.0 == 900 && $0.1 == 300 } == true)
    }

    @Test func svgCarriesTitleAxisLabelsAndLegend() throws {
        let svg = String(
            decoding: try Plots.scatter([Self.panel], labels: Self.labels, title: "codes", format: .svg), as: UTF8.self)
        #expect(svg.hasPrefix("<?xml") && svg.contains("<svg"))
        #expect(svg.contains("<title>codes</title>"))
        for word in ["z0", "z1", "| 0 |", "| 9"] { #expect(svg.contains(word), "\(word) in the SVG's text") }
        let pdf = try Plots.lines(
            [("Loss", "nats", [Plots.Series(name: "train", x: [1, 2, 3], y: [3, 2, 1])])],
            xLabel: "epoch", format: .pdf)
        #expect(pdf.prefix(5) == Data("%PDF-".utf8))
        #expect(pdf.count > 1000)
    }

    /// A model with a 1-d code is drawn (a histogram per class, named in the legend), not refused.
    @Test func aOneDimensionalCodeIsDrawn() throws {
        var config = ModelConfig(kind: .vae)
        (config.inputSize, config.imageHeight, config.imageWidth, config.hidden, config.latent) = (4, 1, 4, [8], 1)
        var rng = RandomGenerator(seed: 2)
        let model = try #require(makeModel(config, rng: &rng) as? any ReconstructingModel)
        let rows = try Dataset(
            name: "t", values: (0..<160).map { Float($0 % 7) / 7 }, labels: (0..<40).map { UInt8($0 % 2) }, features: 4)
        let svg = String(decoding: try Figures.latentScatter(model, on: rows, format: .svg), as: UTF8.self)
        #expect(svg.contains("<title>VAE 1-d codes, t</title>") && svg.contains("density"))
    }

    @Test func niceTicks() {
        #expect(Axes.ticks(0...10) == [0, 2, 4, 6, 8, 10])
        let t = Axes.ticks(-0.3...0.3, count: 6)
        #expect(t.count == 7 && zip(t, [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(Axes.ticks(1...3, integer: true) == [1, 2, 3])
    }

    @Test func normalQuantileKnownValues() {
        #expect(abs(normalQuantile(0.975) - 1.959963984540054) < 1e-9)
        #expect(abs(normalQuantile(0.05) + 1.6448536269514729) < 1e-9)
        #expect(normalQuantile(0.5) == 0 || abs(normalQuantile(0.5)) < 1e-12)
        #expect(abs(normalQuantile(1e-6) + 4.753424308822899) < 1e-8)
    }
}
