import ArgumentParser
import Foundation
import Latent

/// `latent anomaly`: a score per test example from a trained autoencoder, and how well it separates a chosen
/// label (unseen in training) from the rest.
struct AnomalyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly",
        abstract:
            "Score test examples by how badly the model explains them; with --anomaly-label, ROC AUC and a histogram.",
        discussion:
            """
            Train on normal data only (e.g. `latent train --exclude-label 7 …`), then score the whole test set: \
            examples of the left-out label should score high.
            """
    )
    @Argument(help: "Run directory of an ae, sae, dae, vae or cvae.") var directory: String
    @Option(help: "Score: recon (reconstruction NLL) or elbo (VAE: reconstruction at the posterior mean + KL).")
    var score: String = "recon"
    @Option(name: .customLong("anomaly-label"), help: "The label counted as anomalous, for ROC AUC and the histogram.")
    var anomalyLabel: Int?
    @Option(help: "Scores as CSV: index,label,score.") var out: String
    @Option(help: "Histogram of the scores, normal vs anomalous (.png/.svg/.pdf; needs --anomaly-label).") var plot:
        String?
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard AnomalyScores.Kind(rawValue: score) != nil else {
            throw ValidationError("--score: expected recon or elbo, got '\(score)'")
        }
        guard out.hasSuffix(".csv") else { throw ValidationError("--out: expected a .csv file name, got '\(out)'") }
        if let plot {
            guard PictureFormat(path: plot) != nil else {
                throw ValidationError("--plot: expected a .png, .svg or .pdf file name, got '\(plot)'")
            }
            guard anomalyLabel != nil else {
                throw ValidationError("--plot needs --anomaly-label (which examples are anomalous)")
            }
        }
    }

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        let model = loaded.model
        let test = try data.load(.test, for: loaded)
        if let anomalyLabel, !test.labels.contains(where: { Int($0) == anomalyLabel }) {
            throw ValidationError("--anomaly-label: \(test.name) has no examples labelled \(anomalyLabel)")
        }
        let kind = AnomalyScores.Kind(rawValue: score)!
        let scores = try AnomalyScores.scores(model, on: test, kind: kind)
        var csv = "index,label,score\n"
        for i in 0..<test.count { csv += "\(i),\(test.labels[i]),\(scores[i])\n" }
        try AtomicFile.write(Data(csv.utf8), to: URL(fileURLWithPath: out))
        var object: [String: Any] = [
            "score": score, "examples": test.count, "mean_score": scores.reduce(0, +) / Double(scores.count),
        ]
        if let anomalyLabel {
            let positive = test.labels.map { Int($0) == anomalyLabel }
            let auc = ROC.auc(scores: scores, positive: positive)!
            object["anomaly_label"] = anomalyLabel
            object["roc_auc"] = auc
            if let plot {
                let normal = zip(scores, positive).filter { !$0.1 }.map(\.0),
                    anomalous = zip(scores, positive).filter(\.1).map(\.0)
                let picture = try Plots.histogram(
                    [("normal (not \(anomalyLabel))", normal), ("anomalous (\(anomalyLabel))", anomalous)],
                    title: String(format: "Anomaly scores (%@), ROC AUC %.3f", score, auc), xLabel: "\(score) score",
                    format: PictureFormat(path: plot)!)
                try AtomicFile.write(picture, to: URL(fileURLWithPath: plot))
            }
        }
        if json {
            try printJSON(object)
        } else {
            say("wrote \(out): \(test.count) \(score) scores" + (plot.map { " and \($0)" } ?? ""))
            if let auc = object["roc_auc"] as? Double {
                say(String(format: "roc_auc %.4f (label %d anomalous)", auc, anomalyLabel!))
            }
        }
    }
}
