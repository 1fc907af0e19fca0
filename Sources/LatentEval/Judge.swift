import LatentModels
import LatentTensor

/// How well a CVAE's samples follow the label asked for, as judged by a trained classifier.
public enum Judge {
    /// The judged accuracy overall and per label.
    public struct Result: Sendable {
        /// Fraction of all samples classified as the label they were generated for.
        public let accuracy: Double
        /// That fraction for each label.
        public let perLabel: [Double]
        /// Samples generated per label.
        public let samplesPerLabel: Int
    }

    /// Generates `samplesPerLabel` samples of each label with the CVAE (noise from `seed`'s pictures stream)
    /// and counts how many the classifier assigns to that label. Throws if the two models do not fit.
    public static func accuracy(
        of cvae: VariationalAutoencoder, judgedBy classifier: Classifier,
        samplesPerLabel: Int, seed: UInt64
    ) throws -> Result {
        guard cvae.config.isConditional else {
            throw LatentError(.evaluation, "judging needs a cvae; this model is a \(cvae.config.kind.rawValue)")
        }
        guard cvae.config.inputSize == classifier.config.inputSize else {
            throw LatentError(
                .evaluation, field: "judge",
                "the classifier takes \(classifier.config.inputSize) features, the cvae makes \(cvae.config.inputSize)")
        }
        guard samplesPerLabel > 0 else {
            throw LatentError(
                .evaluation, field: "samplesPerLabel", "expected a positive number, got \(samplesPerLabel)")
        }
        var rng = RandomGenerator(seed: seed, stream: .pictures)
        var perLabel: [Double] = []
        var correct = 0
        for label in 0..<cvae.config.classes {
            let images = cvae.sample(labels: Array(repeating: label, count: samplesPerLabel), rng: &rng)
            let hits = classifier.predict(images).filter { $0 == label }.count
            perLabel.append(Double(hits) / Double(samplesPerLabel))
            correct += hits
        }
        let overall = Double(correct) / Double(samplesPerLabel * cvae.config.classes)
        return Result(accuracy: overall, perLabel: perLabel, samplesPerLabel: samplesPerLabel)
    }
}
