import LatentAutodiff
import LatentNN
import LatentTensor

/// One batch's objective and its parts, summed over the batch.
public struct LossTerms {
    /// The differentiable total to call `backward()` on.
    public let total: Variable
    /// Named parts of the total ("reconstruction", "kl", "sparsity", "cross_entropy"), summed over the batch.
    public let parts: [(name: String, value: Float)]

    /// The total's value.
    public var value: Float { total.value.scalar }

    /// The value of the part called `name`, if there is one.
    public subscript(name: String) -> Float? { parts.first { $0.name == name }?.value }
}

/// What the trainer, the checkpoint code and the CLI need of every model.
public protocol TrainableModel: Module {
    /// The configuration the model was built from (saved with its weights).
    var config: ModelConfig { get }

    /// A new, untrained model of `config` (weights drawn from `rng` as PyTorch initialises them).
    init(_ config: ModelConfig, rng: inout RandomGenerator)

    /// The training objective on a batch, summed over its examples; `rng` supplies sampling noise and (for the
    /// DAE) the corruption. `klWeight` weighs a VAE's KL term (nil: the configured β; a KL warm-up passes less);
    /// other models ignore it.
    func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms

    /// Draws from `rng` exactly what `loss` draws for a batch of `rows` examples, without computing anything: a
    /// process that evaluates only some batches keeps the stream of one that evaluates them all.
    func skipNoise(rows: Int, rng: inout RandomGenerator)

    /// A planned training step for batches of up to `rows` rows, reading weights from `parameters` (the
    /// model's packed set) and writing gradients into `gradients` (laid out like `parameters.grads`); nil for
    /// models without a plan, which train on the graph.
    func plannedStep(parameters: ParameterSet, gradients: Tensor, rows: Int) -> (any PlannedStep)?
}

extension TrainableModel {
    /// The objective at the configured KL weight.
    public func loss(_ batch: Batch, rng: inout RandomGenerator) -> LossTerms {
        loss(batch, klWeight: nil, rng: &rng)
    }

    /// No noise (the classifier).
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {}

    /// No plan: the graph engine trains the model.
    public func plannedStep(parameters: ParameterSet, gradients: Tensor, rows: Int) -> (any PlannedStep)? { nil }

    /// A model of the same configuration whose parameters read `primary`'s values, with gradient buffers of its
    /// own: a data-parallel worker's replica.
    public func replica(sharingValuesOf primary: ParameterSet) -> (model: Self, parameters: ParameterSet) {
        var rng = RandomGenerator(seed: 0)
        let copy = type(of: self).init(config, rng: &rng)  // the dynamic type: a subclass keeps its own parameters
        return (copy, ParameterSet(copy, sharingValuesOf: primary))
    }
}

/// Models with a code: encode, decode, reconstruct (all without building a graph).
public protocol ReconstructingModel: TrainableModel {
    /// The code (AE) or posterior mean (VAE): [n, latent].
    func encode(_ x: Tensor, labels: [Int]) -> Tensor
    /// The decoder's logits for codes [n, latent]: [n, inputSize].
    func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor
}

extension ReconstructingModel {
    /// The code or posterior mean of unlabelled inputs.
    public func encode(_ x: Tensor) -> Tensor { encode(x, labels: []) }

    /// Output means for codes [n, latent]: sigmoid of the logits (the logits for an identity mean),
    /// [n, inputSize]. Decoded a few hundred thousand output values at a time (32 pictures of 64 x 64 x 3), so a
    /// large grid of large pictures does not hold every layer's activations for all of them at once.
    public func decode(_ z: Tensor, labels: [Int] = []) -> Tensor {
        let n = z.shape[0], per = MemoryBudget.examplesPerPass(features: config.inputSize)
        let identity = config.hasIdentityMean
        guard n > per else {
            return ReconstructionLoss.mean(logits: decodeLogits(z, labels: labels), identityMean: identity)
        }
        let out = Tensor(uninitialized: [n, config.inputSize])
        for start in stride(from: 0, to: n, by: per) {
            let range = start..<min(n, start + per)
            let part = ReconstructionLoss.mean(
                logits: decodeLogits(z.rows(range), labels: labels.isEmpty ? [] : Array(labels[range])),
                identityMean: identity)
            out.rows(range).data.update(from: part.data, count: part.count)
        }
        return out
    }

    /// decode(encode(x)).
    public func reconstruct(_ x: Tensor, labels: [Int] = []) -> Tensor {
        decode(encode(x, labels: labels), labels: labels)
    }

    /// The decoder's logits at the code (or posterior mean) of x.
    public func reconstructionLogits(_ x: Tensor, labels: [Int] = []) -> Tensor {
        decodeLogits(encode(x, labels: labels), labels: labels)
    }
}

/// Builds an untrained model of the configured kind.
public func makeModel(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
    config.kind.member.make(config, rng: &rng)
}

/// The Gaussian likelihood's log-variance: a learned [1] parameter, or a constant.
func makeOutputLogVariance(_ c: ModelConfig) -> Parameter? {
    guard c.likelihood == .gaussian, c.outputVariance == nil else { return nil }
    return Parameter(Tensor(zeros: [1]))
}

/// The Gaussian likelihood's log-variance as a graph input (nil for Bernoulli).
func logVarianceVariable(_ c: ModelConfig, _ learned: Parameter?) -> Variable? {
    guard c.likelihood == .gaussian else { return nil }
    if let learned { return learned.variable }
    return Variable(Tensor([VectorMath.log(c.outputVariance ?? 1)], shape: [1]))
}

/// A span of a model's parameters trained with optimiser settings of its own (PyTorch's parameter groups).
public struct OptimizerGroup: Sendable {
    /// The child module holding the parameters (the prefix of their names).
    public let module: String
    /// Adam's learning rate (nil: the training's) and decay rates for them.
    public let learningRate: Float?, beta1: Float, beta2: Float

    /// The parameters of child `module`, with Adam's `learningRate` (nil: the training's), `beta1` and `beta2`.
    public init(module: String, learningRate: Float?, beta1: Float, beta2: Float) {
        (self.module, self.learningRate, self.beta1, self.beta2) = (module, learningRate, beta1, beta2)
    }

    /// The parameters of child `module` with the training's settings, in a group of their own so that a step can
    /// leave them out (`GatedGroupsModel`).
    public init(module: String) { self.init(module: module, learningRate: nil, beta1: 0.9, beta2: 0.999) }
}

/// A model part of which trains with optimiser settings of its own (a discriminator beside its model).
public protocol GroupOptimizedModel: TrainableModel {
    /// Its groups; the other parameters follow the training's learning rate.
    var optimizerGroups: [OptimizerGroup] { get }
}

/// A model some of whose groups sit out a step, as the step's loss says (the VAE-GAN's equilibrium: a
/// discriminator too far ahead of its decoder waits, and the other way round).
public protocol GatedGroupsModel: GroupOptimizedModel {
    /// The modules (of `optimizerGroups`) whose update a step skips, from its loss parts summed over `rows`.
    func heldGroups(parts: [(name: String, value: Float)], rows: Int) -> [String]
}
