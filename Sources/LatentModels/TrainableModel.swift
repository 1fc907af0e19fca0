import LatentAutodiff
import LatentNN
import LatentTensor

/// A batch of examples: inputs [n, features] in [0, 1] and their class labels.
public struct Batch {
    public let x: Tensor
    public let labels: [Int]
    public init(x: Tensor, labels: [Int]) { self.x = x; self.labels = labels }
}

/// One batch's objective and its parts, summed over the batch.
public struct LossTerms {
    /// The differentiable total to call `backward()` on.
    public let total: Variable
    /// Named parts of the total ("reconstruction", "kl", "sparsity", "cross_entropy"), summed over the batch.
    public let parts: [(name: String, value: Float)]
}

/// What the trainer, the checkpoint code and the CLI need of every model.
public protocol TrainableModel: Module {
    var config: ModelConfig { get }
    /// The training objective on a batch, summed over its examples; `rng` supplies sampling noise and
    /// (for the DAE) the corruption.
    func loss(_ batch: Batch, rng: inout RandomGenerator) -> LossTerms
}

/// Models with a code: encode, decode, reconstruct (all without building a graph).
public protocol ReconstructingModel: TrainableModel {
    /// The code (AE) or posterior mean (VAE): [n, latent].
    func encode(_ x: Tensor, labels: [Int]) -> Tensor
    /// Output means in [0, 1] for codes [n, latent]: [n, inputSize].
    func decode(_ z: Tensor, labels: [Int]) -> Tensor
}

extension ReconstructingModel {
    /// decode(encode(x)).
    public func reconstruct(_ x: Tensor, labels: [Int]) -> Tensor { decode(encode(x, labels: labels), labels: labels) }
}

/// Builds an untrained model of the configured kind.
public func makeModel(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
    switch config.kind {
    case .ae, .sae, .dae: Autoencoder(config, rng: &rng)
    case .vae, .cvae, .iwae: VariationalAutoencoder(config, rng: &rng)
    case .classifier: Classifier(config, rng: &rng)
    }
}

/// The Gaussian likelihood's log-variance: a learned [1] parameter, or a constant.
func makeOutputLogVariance(_ c: ModelConfig) -> Parameter? {
    guard c.likelihood == .gaussian, c.outputVariance == nil else { return nil }
    return Parameter(Tensor(zeros: [1]))
}

func logVarianceVariable(_ c: ModelConfig, _ learned: Parameter?) -> Variable? {
    guard c.likelihood == .gaussian else { return nil }
    if let learned { return learned.variable }
    return Variable(Tensor([VectorMath.log(c.outputVariance!)], shape: [1]))
}
