import LatentTensor

/// A model's training step planned once for a batch size (`TrainableModel.plannedStep`): forward and backward
/// on preallocated buffers, so a step allocates nothing. Computes what the graph computes from the same noise.
public protocol PlannedStep: AnyObject {
    /// The gradient buffer the plan overwrites each step (laid out like the parameters).
    var gradients: Tensor { get }

    /// Forward and backward on `rows` rows at `x` (inputs and targets). Returns the objective summed over the
    /// rows, with the KL weighted by `klWeight`; noise is drawn from `rng` as the graph engine draws it.
    func run(_ x: UnsafePointer<Float>, rows: Int, klWeight: Float, rng: inout RandomGenerator) -> Float
}

extension ModelConfig {
    /// Why this configuration has no planned step, or nil if it has one. Plans cover the common case: MLP and
    /// `conv` AE and VAE with the Bernoulli likelihood and no corruption, sparsity, condition, free bits or importance
    /// samples.
    public var planUnsupportedReason: String? {
        guard kind == .ae || kind == .vae else { return "`kind` \(kind.rawValue) (plans cover ae and vae)" }
        guard arch != .deepconv else { return "`arch` deepconv (plans cover mlp and conv)" }
        guard likelihood == .bernoulli else { return "`likelihood` \(likelihood.rawValue) (plans cover bernoulli)" }
        guard noise == nil, sparsity == nil, freeBits == nil, importanceSamples == nil else {
            return "corruption, sparsity, free bits or importance samples"
        }
        return nil
    }
}
