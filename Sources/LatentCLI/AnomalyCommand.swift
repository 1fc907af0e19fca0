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
    @Argument(help: "Run directory of a model that reconstructs (any kind but a classifier).") var directory: String
    @Option(
        help:
            "Score: recon (reconstruction NLL) or elbo (variational models: reconstruction at the posterior mean + KL)."
    )
    var score: String = "recon"
    @Option(
        name: .customLong("anomaly-label"),
        help: "The class counted as anomalous (number or name), for ROC AUC and the histogram.")
    var anomalyLabel: String?
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
        try checkWritable(out)
        if let plot {
            guard PictureFormat(path: plot) != nil else {
                throw ValidationError("--plot: expected a .png, .svg or .pdf file name, got '\(plot)'")
            }
            guard anomalyLabel != nil else {
                throw ValidationError("--plot needs --anomaly-label (which examples are anomalous)")
            }
            try checkWritable(plot, flag: "--plot")
        }
    }

    func run() throws {
        humanLinesToStderr = json
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        try data.refuseOverwriting(out, for: loaded)
        if let plot { try data.refuseOverwriting(plot, for: loaded, flag: "--plot") }
        let test = try data.load(.test, for: loaded)
        let anomalyLabel = try anomalyLabel.map {
            try ClassLabel.number($0, names: test.classNames, field: "anomalyLabel")
        }
        let report = try AnomalyScores.report(
            loaded.model, on: test, kind: AnomalyScores.Kind(rawValue: score)!,
            anomalyLabel: anomalyLabel)
        try AtomicFile.write(report.csv, to: URL(fileURLWithPath: out))
        if let plot, let picture = try report.histogram(format: PictureFormat(path: plot)!) {
            try AtomicFile.write(picture, to: URL(fileURLWithPath: plot))
        }
        if json {
            var object: [String: Any] = ["score": score, "examples": test.count, "mean_score": report.meanScore]
            if let auc = report.rocAUC { (object["anomaly_label"], object["roc_auc"]) = (anomalyLabel, auc) }
            return try printJSON(object)
        }
        say("wrote \(out): \(test.count) \(score) scores" + (plot.map { " and \($0)" } ?? ""))
        if let auc = report.rocAUC, let anomalyLabel {
            say(String(format: "roc_auc %.4f (label %@ anomalous)", auc, test.className(anomalyLabel)))
        }
    }
}
