import LatentAutodiff
import LatentNN
import LatentTensor

/// The deterministic autoencoders: AE (x → code → x̂), SAE (plus a sparsity penalty on the encoder's last
/// hidden layer, the "sparse layer"), DAE (trained on corrupted inputs to reconstruct the clean ones).
public final class Autoencoder: ReconstructingModel {
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
    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        // The KL sparsity penalty needs activations in (0, 1): the sparse layer uses a sigmoid.
        body = EncoderBody(c, lastActivation: c.sparsity?.kind == .kl ? .sigmoid : nil, rng: &rng)
        codeLayer = Linear(body.outputSize, c.latent, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

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

    /// BatchNorm's running statistics, with PyTorch `state_dict` names.
    public var namedBuffers: [(name: String, parameter: Parameter)] {
        prefixed("encoder", body.namedBuffers) + prefixed("decoder", decoder.namedBuffers)
    }

    /// The networks the model is made of.
    public var children: [any Module] { [body, codeLayer, decoder] }

    /// Training (batch statistics in BatchNorm) or evaluation mode.
    public func setTraining(_ on: Bool) {
        body.setTraining(on)
        decoder.setTraining(on)
    }

    /// The parameters with PyTorch `state_dict` names.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("encoder", body.namedParameters) + prefixed("code", codeLayer.namedParameters)
            + prefixed("decoder", decoder.namedParameters) + (outputLogVariance.map { [("output_logvar", $0)] } ?? [])
    }

    /// The training objective on `batch`, summed over its examples.
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let x = batch.x
        let input = config.noise.map { $0.apply(x, rng: &rng) } ?? x
        let hidden = body(Variable(input))
        let logits = decoder(codeLayer(hidden))
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: logits, targets: x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        guard let s = config.sparsity else {
            return LossTerms(total: recon, parts: [("reconstruction", recon.value.scalar)])
        }
        let penalty = sparsityPenalty(hidden, s, rows: x.shape[0])
        return LossTerms(
            total: recon + penalty,
            parts: [("reconstruction", recon.value.scalar), ("sparsity", penalty.value.scalar)])
    }

    /// Draws the corruption `loss` would (a DAE; the others draw nothing).
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {
        _ = config.noise?.apply(Tensor(zeros: [rows, config.inputSize]), rng: &rng)
    }

    /// The SAE's penalty on the sparse layer's activations `hidden` of a batch of `rows`.
    func sparsityPenalty(_ hidden: Variable, _ s: Sparsity, rows: Int) -> Variable {
        let n = Float(rows)
        let penalty: Variable
        switch s.kind {
        case .kl:
            // Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j = the batch's mean activation of unit j; counted once per example.
            let rhoHat = hidden.sumRows() * (1 / n)
            let rho = s.target
            let kl =
                (rhoHat.log() * -rho) + ((rhoHat * -1) + 1).log() * -(1 - rho)
                + (rho * VectorMath.log(rho) + (1 - rho) * VectorMath.log(1 - rho))
            penalty = kl.sum() * (s.weight * n)
        case .l1:
            penalty = hidden.abs().sum() * s.weight
        }
        return penalty
    }

    /// The code of each row of `x` (a VAE: the posterior mean).
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor { codeLayer(body(Variable(x))).value }

    /// Activations of the sparse layer (the encoder's last hidden layer).
    public func hiddenActivations(_ x: Tensor) -> Tensor { body(Variable(x)).value }

    /// The decoder's logits for codes `z`.
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { decoder(Variable(z)).value }

    /// The AE's planned step (see `PlannedNetwork`), where the configuration has one.
    public func plannedStep(parameters: ParameterSet, gradients: Tensor, rows: Int) -> (any PlannedStep)? {
        PlannedNetwork(self, parameters: parameters, gradients: gradients, rows: rows)
    }
}
