import LatentModels
import LatentStats
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
        of generator: any GenerativeModel, judgedBy classifier: any ClassifyingModel,
        samplesPerLabel: Int, seed: UInt64
    ) throws -> Result {
        guard generator.config.isConditional else {
            throw LatentError(
                .evaluation,
                "judging per label needs a conditional model; this model is a \(generator.config.kind.rawValue)")
        }
        guard generator.config.inputSize == classifier.config.inputSize else {
            throw LatentError(
                .evaluation, field: "judge",
                "the classifier takes \(classifier.config.inputSize) features, the model makes "
                    + "\(generator.config.inputSize)"
            )
        }
        guard samplesPerLabel > 0 else {
            throw LatentError(
                .evaluation, field: "samplesPerLabel", "expected a positive number, got \(samplesPerLabel)")
        }
        var rng = RandomGenerator(seed: seed, stream: .pictures)
        var perLabel: [Double] = []
        var correct = 0
        for label in 0..<generator.config.classes {
            let images = generator.sample(labels: Array(repeating: label, count: samplesPerLabel), rng: &rng)
            let hits = classifier.predict(images).filter { $0 == label }.count
            perLabel.append(Double(hits) / Double(samplesPerLabel))
            correct += hits
        }
        let overall = Double(correct) / Double(samplesPerLabel * generator.config.classes)
        return Result(accuracy: overall, perLabel: perLabel, samplesPerLabel: samplesPerLabel)
    }
}

extension Judge {
    /// How a classifier sees a set of generated images beside real ones.
    public struct SampleQuality: Sendable {
        /// Mean over the samples of the classifier's top class probability.
        public let confidence: Double
        /// Fraction of samples whose top class probability is at least 0.9.
        public let confidentShare: Double
        /// Fraction of the samples assigned to each class.
        public let classShares: [Double]
        /// Fréchet distance between the classifier's penultimate features of the samples and of the reference
        /// images (an "FID" on Latent's own classifier, not on Inception: comparable only with itself).
        public let frechet: Double
    }

    /// Judges `samples` [n, features] against `reference` images with `classifier`.
    public static func quality(
        of samples: Tensor, against reference: Tensor, judgedBy classifier: any ClassifyingModel
    ) throws -> SampleQuality {
        guard samples.shape[1] == classifier.config.inputSize, reference.shape[1] == samples.shape[1] else {
            throw LatentError(
                .evaluation, field: "judge",
                "the classifier takes \(classifier.config.inputSize) features, the samples have \(samples.shape[1])")
        }
        let features = classifier.features(samples)
        let logits = classifier.logits(features: features)
        let n = logits.shape[0], k = logits.shape[1]
        var confidence = 0.0, confident = 0, shares = [Double](repeating: 0, count: k)
        for i in 0..<n {
            let row = UnsafeBufferPointer(start: logits.data + i * k, count: k)
            let top = row.max() ?? 0
            let sum = row.reduce(0.0) { $0 + Double(VectorMath.exp($1 - top)) }
            let p = 1 / sum
            confidence += p
            if p >= 0.9 { confident += 1 }
            shares[row.firstIndex(of: top) ?? 0] += 1 / Double(n)
        }
        let frechet = try FrechetDistance.between(features, classifier.features(reference))
        return SampleQuality(
            confidence: confidence / Double(n), confidentShare: Double(confident) / Double(n), classShares: shares,
            frechet: frechet)
    }
}
