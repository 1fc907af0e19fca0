import LatentTensor

/// The conditional VAE (Sohn et al. 2015): a one-hot label joins the encoder's features and the code, so it
/// samples a chosen class.
public enum CVAE: ModelFamilyMember {
    /// Encodes, decodes and samples, each given a label.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample, .conditional]

    /// A `VariationalAutoencoder` of `config`, conditioned on its labels.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        VariationalAutoencoder(config, rng: &rng)
    }
}
