/// A batch of examples: inputs [n, features] and, where the model needs them (CVAE, classifier), their class
/// labels. Unconditional models ignore the labels, so they may be left empty.
public struct Batch {
    /// Inputs, one example per row.
    public let x: Tensor
    /// Class labels, one per row, or empty.
    public let labels: [Int]
    /// Examples in the set the batch was drawn from (estimators of the aggregate posterior weigh by it).
    public let datasetSize: Int
    /// The training epoch (1, 2, …) the batch belongs to, for losses scheduled by epoch; nil outside training.
    public var epoch: Int?
    /// The rows whose terms on the parameters alone (a weight penalty) this batch carries: its own count, or, for
    /// a worker's share, the whole batch's count in the first share and 0 in the others, so that such a term is
    /// computed once per step, not once per worker.
    public let parameterTermRows: Int

    /// A batch of `x` with `labels` (empty for unconditional models), drawn from a set of `datasetSize`
    /// examples (nil: the batch is the whole set); `parameterTermRows` nil: its own count.
    public init(
        x: Tensor, labels: [Int] = [], datasetSize: Int? = nil, epoch: Int? = nil, parameterTermRows: Int? = nil
    ) {
        self.x = x
        self.labels = labels
        self.datasetSize = max(datasetSize ?? x.shape[0], x.shape[0])
        self.epoch = epoch
        self.parameterTermRows = parameterTermRows ?? x.shape[0]
    }

    /// Number of examples.
    public var count: Int { x.shape[0] }
}
