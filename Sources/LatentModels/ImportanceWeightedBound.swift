import LatentTensor

/// What the importance-weighted kinds (the IWAE, MIWAE, CIWAE and two-layer IWAE files) share: k, the importance
/// samples per image of their bounds, and their rules.
public enum ImportanceWeightedBound {
    /// The rules every importance-weighted kind shares: 1…5000 samples per image, a Bernoulli likelihood, no free
    /// bits, DReG not with a batch-normalised body.
    public static func validate(_ c: ModelConfig) throws {
        let name = c.kind.rawValue
        guard c.likelihood == .bernoulli else {
            throw LatentError(.model, field: "likelihood", "an \(name) supports bernoulli only")
        }
        guard let k = c.importanceSamples, k >= 1, k <= 5000 else {
            throw LatentError(.model, field: "importanceSamples", "expected 1…5000 importance samples for an \(name)")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
        if c.doublyReparameterised == true && c.arch == .deepconv {
            throw LatentError(
                .model, field: "doublyReparameterised",
                "DReG needs images that do not meet in the decoder; the deepconv body's batch norm mixes them")
        }
    }
}

extension ModelConfig {
    /// Importance samples per image (per bound) of an importance-weighted kind's training bound.
    public var importanceSamples: Int? {
        get { setting("importanceSamples") }
        set { setSetting("importanceSamples", newValue) }
    }
}
