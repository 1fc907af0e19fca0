import LatentTensor

/// Seeded shuffling into mini-batches: the permutation of each epoch comes from the generator it is given,
/// and the last batch keeps the remainder (as PyTorch's DataLoader does with drop_last=False).
public struct BatchOrder: Sequence {
    public let indices: [Int]
    public let batchSize: Int

    public init(count: Int, batchSize: Int, shuffle: Bool, rng: inout RandomGenerator) {
        precondition(batchSize > 0, "batch size must be positive")
        indices = shuffle ? rng.permutation(count) : Array(0..<count)
        self.batchSize = batchSize
    }

    /// Number of batches, counting a partial last one.
    public var batchCount: Int { (indices.count + batchSize - 1) / batchSize }

    public func makeIterator() -> AnyIterator<ArraySlice<Int>> {
        var start = 0
        return AnyIterator {
            guard start < indices.count else { return nil }
            let end = Swift.min(start + batchSize, indices.count)
            defer { start = end }
            return indices[start..<end]
        }
    }
}
