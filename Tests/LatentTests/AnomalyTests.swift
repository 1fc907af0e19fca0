import Foundation
import Latent
import Testing

@Suite struct AnomalyTests {
    @Test func rocAUCMatchesHandCountedPairs() {
        #expect(ROC.auc(scores: [1, 2, 3, 4], positive: [false, false, true, true]) == 1)
        #expect(ROC.auc(scores: [4, 3, 2, 1], positive: [false, false, true, true]) == 0)
        #expect(ROC.auc(scores: [5, 5, 5, 5], positive: [false, true, false, true]) == 0.5)
        // scikit-learn's roc_auc_score example: 3 of the 4 positive-negative pairs are ordered right.
        #expect(ROC.auc(scores: [0.1, 0.4, 0.35, 0.8], positive: [false, false, true, true]) == 0.75)
        // One tie between a positive and a negative counts one half: (1 + 0.5 + 1 + 1) / 4.
        #expect(ROC.auc(scores: [1, 2, 2, 3], positive: [false, false, true, true]) == 0.875)
        #expect(ROC.auc(scores: [1, 2], positive: [true, true]) == nil)
    }

    @Test func histogramIsDrawnWithItsLegend() throws {
        let svg = try Plots.histogram(
            [("normal", (0..<500).map { Double($0 % 50) }), ("anomalous", (0..<50).map { 40 + Double($0) })],
            title: "Scores", xLabel: "score", format: .svg)
        let text = String(decoding: svg, as: UTF8.self)
        #expect(text.contains("<title>Scores") && text.contains("anomalous") && text.contains("density"))
        #expect(svg.count > 5_000)
    }

    @Test func binarisedAndFilteredDatasets() throws {
        let pixels = (0..<4000).map { UInt8($0 % 256) }
        let set = try Dataset(name: "t", pixels: pixels, labels: (0..<250).map { UInt8($0 % 5) }, height: 4, width: 4)
        let b = set.binarized(seed: 1)
        #expect(b.pixels.allSatisfy { $0 == 0 || $0 == 255 })
        #expect(b.pixels == set.binarized(seed: 1).pixels)
        // Each pixel is 255 with probability intensity/255: the means agree to within sampling error.
        let mean = { (p: [UInt8]) in p.reduce(0.0) { $0 + Double($1) } / Double(p.count) }
        #expect(abs(mean(b.pixels) - mean(set.pixels)) < 6)
        let without = set.excluding(label: 3)
        #expect(without.count == 200 && !without.labels.contains(3))
    }

    @Test func anomalyCommandScoresAndSeparates() throws {
        let run = try CLIFamilyTests.train(["--model", "vae", "--exclude-label", "1", "--binarize", "dynamic"])
        let dir = Support.temporaryDirectory()
        let csv = dir.appendingPathComponent("s.csv").path, png = dir.appendingPathComponent("h.png").path
        let r = try Support.runLatent([
            "anomaly", run.path, "--score", "elbo", "--anomaly-label", "1", "--out", csv, "--plot", png, "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let auc = try #require(object["roc_auc"] as? Double)
        #expect(auc > 0 && auc < 1)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10_001 && lines[0] == "index,label,score")
        #expect(CLIFamilyTests.isPNG(png))
        let e = try Support.runLatent(["eval", run.path, "--json"])
        #expect(e.status == 0 && e.stdout.contains("elbo"), "\(e.stderr)")
        try Support.expectRefused([
            (["anomaly", run.path, "--out", csv, "--score", "magic"], "--score"),
            (["anomaly", run.path, "--out", csv, "--anomaly-label", "12"], "--anomaly-label"),
            (["anomaly", run.path, "--out", "x.txt"], "--out"),
            (["anomaly", run.path, "--out", csv, "--plot", png], "--plot"),
            (["train", "--exclude-label", "42", "--out", dir.path], "--exclude-label"),
            (["train", "--binarize", "static", "--out", dir.path], "--binarize"),
        ])
    }
}
