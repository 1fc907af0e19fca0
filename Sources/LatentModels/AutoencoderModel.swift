import LatentAutodiff
import LatentNN
import LatentTensor

/// One batch's objective and its parts, per the whole batch (sums over examples).
public struct LossTerms {
    /// The differentiable total to call `backward()` on.
    public let total: Variable
    /// Named parts of the total (e.g. "reconstruction", "kl"), summed over the batch.
    public let parts: [(name: String, value: Float)]
}

/// What the trainer, the checkpoint code and the CLI need of any model in the family.
public protocol AutoencoderModel: Module {
    /// Short name of the model kind, as written in checkpoints and given to `--model`.
    static var kind: String { get }
    /// The configuration as JSON (stored in the checkpoint's metadata).
    var configJSON: String { get }
    /// Number of input features.
    var inputSize: Int { get }
    /// The training objective on a batch [n, inputSize] in [0, 1], summed over the batch; `rng` supplies
    /// any sampling noise.
    func loss(_ x: Tensor, rng: inout RandomGenerator) -> LossTerms
    /// Reconstructions of a batch (means of the output distribution, in [0, 1]).
    func reconstruct(_ x: Tensor, rng: inout RandomGenerator) -> Tensor
}
