/// A batch of examples: inputs [n, features] and, where the model needs them (CVAE, classifier), their class
/// labels. Unconditional models ignore the labels, so they may be left empty.
public struct Batch {
    /// Inputs, one example per row.
    public let x: Tensor
    /// Class labels, one per row, or empty.
    public let labels: [Int]

    /// A batch of `x` with `labels` (empty for unconditional models).
    public init(x: Tensor, labels: [Int] = []) {
        self.x = x
        self.labels = labels
    }

    /// Number of examples.
    public var count: Int { x.shape[0] }
}
