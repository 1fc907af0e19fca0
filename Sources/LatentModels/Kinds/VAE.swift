import LatentNN
import LatentTensor

/// The variational autoencoder (Kingma & Welling 2014; a β-VAE with β ≠ 1): `VariationalAutoencoder` trained on
/// the negative ELBO.
public enum VAE: ModelFamilyMember {
    /// Encodes, decodes, samples from its prior, and trains on the planned engine.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample, .planned]

    /// A `VariationalAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        VariationalAutoencoder(config, rng: &rng)
    }
}

extension VariationalAutoencoder {
    /// A VAE of MLPs, `inputSize`-`hidden`-`latent` (the decoder mirrored), initialised from `rng`: the
    /// pytorch/examples VAE is `VariationalAutoencoder(inputSize: 784, hidden: [400], latent: 20, rng: &rng)`.
    public convenience init(
        inputSize: Int, hidden: [Int], latent: Int, activation: Activation = .relu,
        likelihood: Likelihood = .bernoulli, beta: Float = 1, rng: inout RandomGenerator
    ) {
        var c = ModelConfig(kind: .vae)
        (c.inputSize, c.imageHeight, c.imageWidth) = (inputSize, 1, inputSize)
        if inputSize == 784 { (c.imageHeight, c.imageWidth) = (28, 28) }
        (c.hidden, c.latent, c.activation, c.likelihood, c.beta) = (hidden, latent, activation, likelihood, beta)
        self.init(c, rng: &rng)
    }
}
