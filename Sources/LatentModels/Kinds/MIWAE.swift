import LatentTensor

/// The multiply importance-weighted autoencoder (Rainforth et al. 2018; Pythae `MIWAE`): the IWAE's networks
/// trained on the mean of m independent k-sample bounds, a better-informed encoder gradient than one mk-sample
/// bound.
public enum MIWAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// k under "importanceSamples", m under "importanceGroups", and the DReG switch.
    public static let settingKeys = ["importanceSamples", "importanceGroups", "doublyReparameterised"]

    /// An `ImportanceWeightedAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        ImportanceWeightedAutoencoder(config, rng: &rng)
    }

    /// The IWAE's rules, m in 1…1000 and m·k ≤ 5000 samples per image.
    public static func validate(_ c: ModelConfig) throws {
        try ImportanceWeightedBound.validate(c)
        guard let m = c.importanceGroups, m >= 1, m <= 1000 else {
            throw LatentError(.model, field: "importanceGroups", "expected 1…1000 bounds per image for a miwae")
        }
        guard m * (c.importanceSamples ?? 1) <= 5000 else {
            throw LatentError(
                .model, field: "importanceGroups",
                "m·k = \(m * (c.importanceSamples ?? 1)) samples per image; expected at most 5000")
        }
    }

    /// m·k samples per image.
    public static func samplesPerExample(_ c: ModelConfig) -> Int {
        (c.importanceGroups ?? 1) * (c.importanceSamples ?? 1)
    }
    /// The bounds per image.
    public static let samplesSetting: String? = "importanceGroups"
}
