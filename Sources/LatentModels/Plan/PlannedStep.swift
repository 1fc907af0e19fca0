import LatentAutodiff
import LatentTensor

/// A model's training step planned once for a batch size (`TrainableModel.plannedStep`): forward and backward
/// on preallocated buffers, so a step allocates nothing. Computes what the graph computes from the same noise.
public protocol PlannedStep: AnyObject {
    /// The gradient buffer the plan overwrites each step (laid out like the parameters).
    var gradients: Tensor { get }

    /// Forward and backward on `rows` rows at `x` (inputs and targets). Returns the objective summed over the
    /// rows, with the KL weighted by `klWeight`; noise is drawn from `rng` as the graph engine draws it.
    func run(_ x: UnsafePointer<Float>, rows: Int, klWeight: Float, rng: inout RandomGenerator) -> Float

    /// The last `run`'s terms, summed over its rows: the reconstruction loss and (a VAE) the unweighted KL.
    var lastTerms: (reconstruction: Float, kl: Float) { get }

    /// What runs the convolutions of full batches ("oneDNN", "im2col" or "oneDNN and im2col"), or nil for a plan
    /// without any.
    var convolutionKernels: String? { get }
}

extension ModelConfig {
    /// Why this configuration has no planned step, or nil if it has one. Plans cover the common case: kinds that
    /// declare `planned` (every body) with the Bernoulli likelihood, no settings of their own and no free bits.
    public var planUnsupportedReason: String? {
        guard capabilities.contains(.planned) else { return "`kind` \(kind.rawValue) (no planned engine)" }
        guard likelihood == .bernoulli else { return "`likelihood` \(likelihood.rawValue) (plans cover bernoulli)" }
        guard settings.isEmpty, freeBits == nil else { return "the kind's own settings or free bits" }
        return nil
    }
}

/// Links the BatchNorm layers of data-parallel plans (one per worker, of one model) into groups that share
/// the whole batch's statistics; returns the groups, which the caller begins and ends around each step. One plan
/// gets groups only `evenAlone` (its statistics are then shared with other processes).
public func synchronizeBatchNorms(_ plans: [any PlannedStep], evenAlone: Bool = false) -> [BatchNormSync] {
    let norms = plans.map { ($0 as? PlannedNetwork)?.batchNorms ?? [] }
    guard plans.count > 1 || evenAlone, norms.first?.isEmpty == false else { return [] }
    return BatchNormSync.groups(norms.map { $0.map(\.layer) }) { w, i, group in norms[w][i].sync = (group, w) }
}
