import LatentAutodiff
import LatentNN
import LatentTensor

/// The deterministic autoencoder (x → code → x̂), and the body of its relatives: a subclass may corrupt the
/// inputs it trains on (`corrupt`) or add a penalty on the encoder's last hidden layer (`penalty`).
public class Autoencoder: ReconstructingModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// Encoder layers up to the code layer (the last of them is the SAE's sparse layer).
    public let body: EncoderBody
    /// The code: hidden → latent, no activation.
    public let codeLayer: Linear
    /// Code → logits.
    public let decoder: Decoder
    /// The Gaussian likelihood's learned log-variance, if learned.
    public let outputLogVariance: Parameter?

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public required convenience init(_ c: ModelConfig, rng: inout RandomGenerator) {
        self.init(c, lastActivation: nil, rng: &rng)
    }

    /// A new model whose encoder's last hidden layer uses `lastActivation` (nil: the configured one).
    public init(_ c: ModelConfig, lastActivation: Activation?, rng: inout RandomGenerator) {
        config = c
        body = EncoderBody(c, lastActivation: lastActivation, rng: &rng)
        codeLayer = Linear(body.outputSize, c.latent, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

    /// The networks the model is made of, named as in PyTorch's `state_dict`.
    public var namedChildren: [(name: String, module: any Module)] {
        [("encoder", body), ("code", codeLayer), ("decoder", decoder)]
    }

    /// The Gaussian likelihood's learned log-variance, if learned.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        outputLogVariance.map { [("output_logvar", $0)] } ?? []
    }

    /// The training objective on `batch`, summed over its examples.
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let x = batch.x
        let hidden = body(Variable(trainingInput(x, rng: &rng)))
        let logits = decoder(codeLayer(hidden))
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: logits, targets: x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        guard let (name, extra) = penalty(hidden, rows: x.shape[0]) else {
            return LossTerms(total: recon, parts: [("reconstruction", recon.value.scalar)])
        }
        return LossTerms(
            total: recon + extra, parts: [("reconstruction", recon.value.scalar), (name, extra.value.scalar)])
    }

    /// The input the encoder trains on: x itself (a subclass may corrupt it, drawing from `rng`).
    public func trainingInput(_ x: Tensor, rng: inout RandomGenerator) -> Tensor { x }

    /// A penalty on the encoder's last hidden activations `hidden` of a batch of `rows`, with its name; nil: none.
    public func penalty(_ hidden: Variable, rows: Int) -> (name: String, value: Variable)? { nil }

    /// Draws what `loss` would draw: nothing (a subclass whose `trainingInput` draws overrides this).
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {}

    /// The code of each row of `x` (a VAE: the posterior mean).
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor { codeLayer(body(Variable(x))).value }

    /// Activations of the encoder's last hidden layer.
    public func hiddenActivations(_ x: Tensor) -> Tensor { body(Variable(x)).value }

    /// The decoder's logits for codes `z`.
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { decoder(Variable(z)).value }

    /// The planned step (see `PlannedNetwork`), where the configuration has one.
    public func plannedStep(parameters: ParameterSet, gradients: Tensor, rows: Int) -> (any PlannedStep)? {
        PlannedNetwork(self, parameters: parameters, gradients: gradients, rows: rows)
    }
}
