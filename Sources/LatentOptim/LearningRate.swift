import LatentTensor

/// The one bound on a learning rate, shared by every optimiser and by `TrainingOptions` (and so by the CLI,
/// which maps the field to `--lr`): positive and finite. A rate of 0 trains nothing, so it is refused, not run.
public enum LearningRate {
    /// Throws unless `value` is positive and finite; the error's field is `learningRate`.
    public static func check(_ value: Float, domain: LatentError.Domain = .optimizer) throws {
        guard value > 0, value.isFinite else {
            throw LatentError(domain, field: "learningRate", "expected a positive, finite learning rate, got \(value)")
        }
    }
}
