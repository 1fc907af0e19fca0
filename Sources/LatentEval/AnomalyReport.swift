import Foundation
import LatentData
import LatentModels
import LatentRender
import LatentStats
import LatentTensor

extension AnomalyScores {
    /// The scores of a test set and, when one label is taken as the anomaly, how well they separate it.
    public struct Report: Sendable {
        /// What was scored.
        public let kind: Kind
        /// One score per example, in order.
        public let scores: [Double]
        /// Each example's label; nil for unlabelled data.
        public let labels: [Int]?
        /// The classes' names, where the data named them (the CSV writes each label by its name).
        public var classNames: [String]?
        /// The label counted as anomalous, if any.
        public let anomalyLabel: Int?
        /// ROC AUC of the anomalous label against the rest (nil without one).
        public let rocAUC: Double?

        /// The mean score.
        public var meanScore: Double { scores.reduce(0, +) / Double(max(scores.count, 1)) }

        /// The scores as CSV: `index,label,score` (`index,score` for unlabelled data).
        public var csv: Data {
            var text = labels == nil ? "index,score\n" : "index,label,score\n"
            for (i, score) in scores.enumerated() {
                guard let label = labels?[i] else {
                    text += "\(i),\(score)\n"
                    continue
                }
                text += "\(i),\(ArrayWriters.quoted(Dataset.className(label, in: classNames))),\(score)\n"
            }
            return Data(text.utf8)
        }

        /// Histograms of the normal and the anomalous examples' scores (nil without an anomalous label).
        public func histogram(format: PictureFormat) throws -> Data? {
            guard let a = anomalyLabel, let auc = rocAUC, let labels else { return nil }
            let pairs = zip(scores, labels)
            let normal = pairs.filter { $0.1 != a }.map(\.0), anomalous = pairs.filter { $0.1 == a }.map(\.0)
            return try Plots.histogram(
                [("normal (not \(a))", normal), ("anomalous (\(a))", anomalous)],
                title: String(format: "Anomaly scores (%@), ROC AUC %.3f", kind.rawValue, auc),
                xLabel: "\(kind.rawValue) score", format: format)
        }
    }

    /// Scores every example of `data`; with `anomalyLabel`, the ROC AUC of that label against the rest
    /// (throws if no example has it).
    public static func report(
        _ model: any ReconstructingModel, on data: Dataset, kind: Kind, anomalyLabel: Int?
    )
        throws -> Report
    {
        let labels = data.knownLabels
        if anomalyLabel != nil, labels == nil {
            throw LatentError(
                .evaluation, field: "anomalyLabel",
                "\(data.name) has no labels, so no examples are known to be anomalous")
        }
        if let anomalyLabel, let labels, !labels.contains(anomalyLabel) {
            throw LatentError(
                .evaluation, field: "anomalyLabel",
                "\(data.name) has no examples labelled \(data.className(anomalyLabel))")
        }
        let scores = try Self.scores(model, on: data, kind: kind)
        let auc = anomalyLabel.flatMap { a in labels.flatMap { ROC.auc(scores: scores, positive: $0.map { $0 == a }) } }
        var report = Report(kind: kind, scores: scores, labels: labels, anomalyLabel: anomalyLabel, rocAUC: auc)
        report.classNames = data.classNames
        return report
    }
}
