import LatentAutodiff
import LatentTensor

/// What a kind of model can do. Training, evaluation, the CLI, the service and ONNX export ask for these rather
/// than for kinds, so a new kind that declares them gets every tool that needs them.
public struct ModelCapabilities: OptionSet, Sendable {
    /// The value of the option set.
    public let rawValue: Int
    /// An option set of `rawValue`.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Encodes inputs to codes and decodes codes to inputs (`ReconstructingModel`).
    public static let reconstruct = ModelCapabilities(rawValue: 1 << 0)
    /// A Gaussian posterior and a KL term to a standard-normal prior (β, free bits, the ELBO, active units).
    public static let variational = ModelCapabilities(rawValue: 1 << 1)
    /// Draws new examples from its prior.
    public static let sample = ModelCapabilities(rawValue: 1 << 2)
    /// Takes a class label beside each input and each code (so it needs labelled data).
    public static let conditional = ModelCapabilities(rawValue: 1 << 3)
    /// Predicts class labels (so it needs labelled data).
    public static let classify = ModelCapabilities(rawValue: 1 << 4)
    /// Its loss needs the whole batch at once (a penalty on batch statistics): one worker per step.
    public static let wholeBatchLoss = ModelCapabilities(rawValue: 1 << 5)
    /// The planned engine (`PlannedNetwork`) can train it, where the configuration allows.
    public static let planned = ModelCapabilities(rawValue: 1 << 6)
    /// Its code is made of categorical variables (blocks of class probabilities), not continuous dimensions.
    public static let categoricalCode = ModelCapabilities(rawValue: 1 << 7)
    /// Its code lies on a curved manifold (a sphere): one coordinate cannot move alone and stay on it.
    public static let manifoldCode = ModelCapabilities(rawValue: 1 << 8)
}

extension ModelKind {
    /// The kinds that can do all of `capabilities`.
    public static func with(_ capabilities: ModelCapabilities) -> Set<ModelKind> {
        Set(allCases.filter { $0.member.capabilities.isSuperset(of: capabilities) })
    }
}

/// One member of the family, described in one file of `Kinds/`: how to build it, what it can do, and its own
/// configuration rules. `ModelKind.member` is the registry's map from kinds to these.
public protocol ModelFamilyMember {
    /// What it can do.
    static var capabilities: ModelCapabilities { get }
    /// The keys of its own hyperparameters in `ModelConfig.settings` (refused on other kinds).
    static var settingKeys: [String] { get }
    /// A new, untrained model of `config` (weights drawn from `rng` as PyTorch initialises them).
    static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel
    /// The kind's own rules on a configuration (shapes and shared settings are checked by `ModelConfig`).
    static func validate(_ config: ModelConfig) throws
    /// Why a training step of this configuration cannot be split: over threads (`processes` false) or over
    /// processes; nil when it can.
    static func unsplittableReason(_ config: ModelConfig, processes: Bool) -> String?
    /// Model evaluations per example in a training step (importance samples), for memory estimates.
    static func samplesPerExample(_ config: ModelConfig) -> Int
    /// The setting that multiplies a step's evaluations per example, if any (named when a step cannot fit).
    static var samplesSetting: String? { get }
    /// Trainable scalars beside the encoder and decoder (a discriminator), from the configuration alone.
    static func extraParameterCount(_ config: ModelConfig) -> Double
    /// Saved values of its own that are not trained (a codebook's), beyond BatchNorm's.
    static func extraBufferCount(_ config: ModelConfig) -> Double
}

extension ModelFamilyMember {
    /// No settings of its own.
    public static var settingKeys: [String] { [] }
    /// No rules of its own.
    public static func validate(_ config: ModelConfig) throws {}
    /// Splits like any model, unless it declares `wholeBatchLoss`.
    public static func unsplittableReason(_ config: ModelConfig, processes: Bool) -> String? {
        capabilities.contains(.wholeBatchLoss) && !processes ? "its loss needs the whole batch" : nil
    }
    /// One evaluation per example.
    public static func samplesPerExample(_ config: ModelConfig) -> Int { 1 }
    /// None.
    public static var samplesSetting: String? { nil }
    /// None.
    public static func extraParameterCount(_ config: ModelConfig) -> Double { 0 }
    /// None.
    public static func extraBufferCount(_ config: ModelConfig) -> Double { 0 }
}

/// A model that draws new examples from its prior (`ModelCapabilities.sample`).
public protocol GenerativeModel: ReconstructingModel {
    /// Examples decoded from codes drawn from the prior, one per label (an unconditional model ignores the labels).
    func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor
}

extension GenerativeModel {
    /// `count` examples from the prior of an unconditional model.
    public func sample(count: Int, rng: inout RandomGenerator) -> Tensor {
        sample(labels: Array(repeating: 0, count: count), rng: &rng)
    }
}

extension ReconstructingModel {
    /// Outputs decoded from codes drawn from N(0, I), one per label: the sample of a model whose prior is N(0, I).
    public func decodeStandardNormal(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let z = Tensor(uninitialized: [labels.count, config.latent])
        rng.fillNormal(z)
        return decode(z, labels: labels)
    }
}

/// A model that predicts classes (`ModelCapabilities.classify`).
public protocol ClassifyingModel: TrainableModel {
    /// Predicted classes of the rows of x.
    func predict(_ x: Tensor) -> [Int]
    /// The last hidden layer's activations [n, width] (for Fréchet distances).
    func features(_ x: Tensor) -> Tensor
    /// Class logits from `features`.
    func logits(features: Tensor) -> Tensor
}

/// A model trained on corrupted inputs: it can corrupt a batch as in training (`latent denoise`, pictures).
public protocol CorruptingModel: ReconstructingModel {
    /// A corrupted copy of x, drawn from `rng`.
    func corrupt(_ x: Tensor, rng: inout RandomGenerator) -> Tensor
}

/// A model with test-set figures of its own beside the loss (`Evaluation.metrics` adds them).
public protocol MeasuredModel: TrainableModel {
    /// Its own figures on the batches `forEachBatch` walks (`count` examples of `features` values), with
    /// randomness from `seed`: JSON keys and values.
    func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)]
}

/// A model whose loss couples a batch's rows only through a few per-row values (codes, posterior parameters): a
/// data-parallel worker computes its share's local part and those values, and the coupled part is computed once,
/// on the whole batch's values (`DataParallel`), so the step's loss and gradient are the whole batch's.
public protocol BatchCoupledModel: TrainableModel {
    /// The local part of the loss on `share`, and the per-row values [rows, width] (variables of its graph) the
    /// coupled part reads. Draws from `rng` what `loss` draws for the share.
    func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (
        local: LossTerms, values: [Variable]
    )
    /// The coupled part on the whole batch's values (in `localLoss`'s order, rows in batch order), on `threads`
    /// threads; `batch` is the whole batch. Draws what it needs (prior samples) from `rng`, after the shares.
    func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms
}

extension BatchCoupledModel {
    /// Local and coupled parts on one graph: the whole batch's loss on one worker.
    public func coupledTotal(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        completed(localLoss(batch, klWeight: klWeight, rng: &rng), batch: batch, klWeight: klWeight, rng: &rng)
    }

    /// `batch`'s local terms (from `localLoss`, or a kind's own variant with given noise) with the coupled part
    /// of their values added, on one graph; the coupled part draws from `rng`.
    public func completed(
        _ local: (local: LossTerms, values: [Variable]), batch: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> LossTerms {
        let coupled = coupledLoss(local.values, batch: batch, klWeight: klWeight, rng: &rng, threads: 1)
        return LossTerms(total: local.local.total + coupled.total, parts: local.local.parts + coupled.parts)
    }
}
