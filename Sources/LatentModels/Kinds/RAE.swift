import LatentAutodiff
import LatentNN
import LatentTensor

/// The regularised autoencoder with an L2 penalty (Ghosh et al. 2020, "From variational to deterministic
/// autoencoders"; Pythae's `RAE_L2`): a deterministic encoder, the squared error of the decoder's mean
/// Σ (x̂ − x)², β·½‖z‖² on the codes, and λ·½‖θ‖² on the decoder's weights (Pythae's decoder
/// weight decay, here in the loss).
/// It samples as the paper does, through a Gaussian mixture fitted to its training codes (`latent sample --prior
/// gmm`, the ex-post density estimation).
public enum RAE: ModelFamilyMember {
    /// Encodes and decodes; it has no prior of its own.
    public static let capabilities: ModelCapabilities = [.reconstruct]
    /// β under "embeddingWeight", λ under "decoderL2".
    public static let settingKeys = ["embeddingWeight", "decoderL2"]
    /// Pythae's β and λ.
    public static let defaults: (embedding: Float, decoder: Float) = (1e-4, 1e-7)

    /// A `RegularizedAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        RegularizedAutoencoder(config, rng: &rng)
    }

    /// 0 ≤ β, λ ≤ 1000; the decoder's mean is the sigmoid of its logits.
    public static func validate(_ c: ModelConfig) throws {
        let weights = [
            ("embeddingWeight", c.embeddingWeight ?? defaults.embedding),
            ("decoderL2", c.decoderL2 ?? defaults.decoder),
        ]
        for (name, value) in weights {
            guard value >= 0, value <= 1000, value.isFinite else {
                throw LatentError(.model, field: name, "expected a weight in [0, 1000], got \(value)")
            }
        }
        guard c.likelihood == .bernoulli else {
            throw LatentError(
                .model, field: "likelihood",
                "an rae's reconstruction term is its own (the squared error of the sigmoid mean): keep bernoulli")
        }
    }
}

extension ModelConfig {
    /// The RAE's weight β of ½‖z‖² (nil: `RAE.defaults`).
    public var embeddingWeight: Float? {
        get { setting("embeddingWeight") }
        set { setSetting("embeddingWeight", newValue) }
    }

    /// The RAE's weight λ of ½‖θ‖² on the decoder (nil: `RAE.defaults`).
    public var decoderL2: Float? {
        get { setting("decoderL2") }
        set { setSetting("decoderL2", newValue) }
    }
}

/// An `Autoencoder` trained on Σ (sigmoid(logits) − x)² + β·½‖z‖² per example + n·λ·½‖θ‖² of the
/// decoder.
public final class RegularizedAutoencoder: Autoencoder {
    /// β and λ (read from the configuration once).
    public let embeddingWeight: Float, decoderWeight: Float

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        embeddingWeight = c.embeddingWeight ?? RAE.defaults.embedding
        decoderWeight = c.decoderL2 ?? RAE.defaults.decoder
        super.init(c, lastActivation: nil, rng: &rng)
    }

    /// The objective on `batch`, summed over its examples: parts "reconstruction", "embedding" (β·½Σ‖z‖²) and
    /// "decoder_l2" (n·λ·½‖θ‖², which Pythae leaves to its optimiser's weight decay; of a batch's shares,
    /// only the first carries it, for the whole batch's n).
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let z = codeLayer(body(Variable(batch.x)))
        let error = Variable.sigmoidSquaredError(logits: decoder(z), targets: batch.x)
        let embedding = z.square().sum() * (0.5 * embeddingWeight)
        let rows = Float(batch.parameterTermRows)
        let weights =
            rows > 0 && decoderWeight > 0
            ? Variable.sumOfSquares(decoder.parameters.map(\.variable)) * (0.5 * decoderWeight * rows)
            : Variable(Tensor(scalar: 0))
        return LossTerms(
            total: error + embedding + weights,
            parts: [
                ("reconstruction", error.value.scalar), ("embedding", embedding.value.scalar),
                ("decoder_l2", weights.value.scalar),
            ])
    }
}
