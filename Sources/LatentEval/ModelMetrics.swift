/// A model's test-set figures (`Evaluation.metrics`, `latent eval`): typed fields for what the loss and the
/// capabilities give every model that has them, and the kind's own figures (`MeasuredModel`) under their JSON keys.
/// `values` is the flat form `latent eval --json` prints, its keys unchanged.
public struct ModelMetrics: Sendable, Equatable {
    /// Examples evaluated ("images").
    public var examples: Int
    /// The training objective per example ("test_loss").
    public var loss: Double
    /// Each part of the objective per example, by its name ("test_" + name: test_reconstruction, test_kl, …).
    public var lossTerms: [String: Double]
    /// A reconstructing model's squared error summed over features, averaged over examples ("test_mse").
    public var meanSquaredError: Double?
    /// A variational model's evidence lower bound per example ("elbo").
    public var elbo: Double?
    /// A variational model's active latent dimensions ("active_dims").
    public var activeDimensions: Int?
    /// The kind's own figures by JSON key (a DAE's psnr_noisy, a classifier's accuracy, …).
    public var own: [String: Double]

    /// Every figure under its JSON key, as `latent eval --json` prints them.
    public var values: [String: Double] {
        var m: [String: Double] = ["test_loss": loss, "images": Double(examples)]
        for (name, value) in lossTerms { m["test_" + name] = value }
        m["test_mse"] = meanSquaredError
        m["active_dims"] = activeDimensions.map(Double.init)
        m["elbo"] = elbo
        for (key, value) in own { m[key] = value }
        return m
    }

    /// The figure under a JSON key, if the model has it.
    public subscript(key: String) -> Double? { values[key] }
}
