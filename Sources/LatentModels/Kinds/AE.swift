import LatentNN
import LatentTensor

/// The autoencoder: a deterministic code and a reconstruction loss (`Autoencoder`).
public enum AE: ModelFamilyMember {
    /// Encodes, decodes, and trains on the planned engine.
    public static let capabilities: ModelCapabilities = [.reconstruct, .planned]

    /// An `Autoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        Autoencoder(config, rng: &rng)
    }
}

extension Autoencoder {
    /// A plain AE of MLPs, `inputSize`-`hidden`-`latent` (the decoder mirrored), initialised from `rng`.
    public convenience init(
        inputSize: Int, hidden: [Int], latent: Int, activation: Activation = .relu,
        likelihood: Likelihood = .bernoulli, rng: inout RandomGenerator
    ) {
        var c = ModelConfig(kind: .ae)
        (c.inputSize, c.imageHeight, c.imageWidth) = (inputSize, 1, inputSize)
        if inputSize == 784 { (c.imageHeight, c.imageWidth) = (28, 28) }
        (c.hidden, c.latent, c.activation, c.likelihood) = (hidden, latent, activation, likelihood)
        self.init(c, rng: &rng)
    }
}
