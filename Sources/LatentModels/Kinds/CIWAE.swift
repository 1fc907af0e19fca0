import LatentTensor

/// The combination importance-weighted autoencoder (Rainforth et al. 2018; Pythae `CIWAE`): the IWAE's networks
/// trained on β·ELBO + (1 − β)·(k-sample bound), the ELBO estimated by the mean of the k samples' log-weights.
public enum CIWAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// k under "importanceSamples", β under "elboWeight".
    public static let settingKeys = ["importanceSamples", "elboWeight"]

    /// An `ImportanceWeightedAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        ImportanceWeightedAutoencoder(config, rng: &rng)
    }

    /// The IWAE's rules and β in [0, 1].
    public static func validate(_ c: ModelConfig) throws {
        try ImportanceWeightedBound.validate(c)
        guard let b = c.elboWeight, b >= 0, b <= 1 else {
            throw LatentError(.model, field: "elboWeight", "expected a weight β in [0, 1] for a ciwae")
        }
    }

    /// k samples per image.
    public static func samplesPerExample(_ c: ModelConfig) -> Int { c.importanceSamples ?? 1 }
    /// The importance samples.
    public static let samplesSetting: String? = "importanceSamples"
}
