import LatentAutodiff
import LatentNN
import LatentTensor

/// The VampPrior VAE (Tomczak & Welling 2018; Pythae's `VAMP`): the VAE's networks with a learned prior, the
/// equal-weight mixture of the posteriors of C pseudo-inputs, p(z) = (1/C) Σ_c q(z | u_c). The pseudo-inputs are
/// Pythae's, hardtanh₀¹ of a linear layer C → D applied to the identity ("pseudo_inputs.0"); the KL term is the
/// one-sample estimate log q(z|x) − log p(z).
public enum VAMP: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// C under "pseudoInputs".
    public static let settingKeys = ["pseudoInputs"]

    /// A `VampPriorAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        VampPriorAutoencoder(config, rng: &rng)
    }

    /// 1 … 5000 pseudo-inputs; not the batch-normalised `deepconv` body (its statistics would mix pseudo-inputs and
    /// images); no free bits.
    public static func validate(_ c: ModelConfig) throws {
        guard let k = c.pseudoInputs, (1...5000).contains(k) else {
            throw LatentError(.model, field: "pseudoInputs", "expected 1…5000 pseudo-inputs for a vamp")
        }
        if c.arch == .deepconv {
            throw LatentError(
                .model, field: "arch",
                "a vamp encodes its pseudo-inputs apart from the images: mlp or conv, not deepconv")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The pseudo-inputs' layer: C·D weights and D biases.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Double((c.pseudoInputs ?? 500) + 1) * Double(c.inputSize)
    }
}

extension ModelConfig {
    /// The VampPrior's number C of pseudo-inputs.
    public var pseudoInputs: Int? {
        get { setting("pseudoInputs") }
        set { setSetting("pseudoInputs", newValue) }
    }
}

/// A VAE whose prior is the VampPrior: C learned pseudo-inputs, each encoded to a Gaussian.
public final class VampPriorAutoencoder: MixturePriorAutoencoder {
    /// Linear(C → D) whose columns, plus the bias and clamped to [0, 1], are the pseudo-inputs.
    public let pseudoInputLayer: Linear

    /// A new model of configuration `c`, initialised as PyTorch initialises Pythae's.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        pseudoInputLayer = Linear(c.pseudoInputs ?? 500, c.inputSize, rng: &rng)
        super.init(c, rng: &rng)
    }

    /// The VAE's networks and the pseudo-inputs' layer ("pseudo_inputs.0", as Pythae's `state_dict` names it).
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + [("pseudo_inputs.0", pseudoInputLayer)]
    }

    /// The pseudo-inputs [C, D].
    public func pseudoInputs() -> Variable {
        Variable.pseudoInputs(weight: pseudoInputLayer.weight.variable, bias: pseudoInputLayer.bias!.variable)
    }

    /// The prior's components: the posterior means and log-variances of the pseudo-inputs [C, latent].
    public override func priorComponents() -> (mean: Variable, logVariance: Variable) { posterior(pseudoInputs()) }
}
