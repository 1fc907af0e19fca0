import LatentTensor

/// Seeded shuffling into mini-batches: the permutation of each epoch comes from the generator it is given,
/// and the last batch keeps the remainder (as PyTorch's DataLoader does with drop_last=False).
public struct BatchOrder: Sequence {
    /// The epoch's order of example indices.
    public let indices: [Int]
    /// Examples per batch (the last may have fewer).
    public let batchSize: Int

    /// The order of `count` examples, shuffled with `rng` or in order.
    public init(count: Int, batchSize: Int, shuffle: Bool, rng: inout RandomGenerator) {
        precondition(batchSize > 0, "batch size must be positive")
        indices = shuffle ? rng.permutation(count) : Array(0..<count)
        self.batchSize = batchSize
    }

    /// Number of batches, counting a partial last one.
    public var batchCount: Int { (indices.count + batchSize - 1) / batchSize }

    /// The batches' index slices in turn.
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

/// A dataset's examples in mini-batches (PyTorch's DataLoader with drop_last=False): each batch's inputs in
/// [0, 1] (images) or as stored (tables), with their labels.
///
/// The batches share one buffer, which each step of the iteration overwrites (as a pinned DataLoader buffer
/// is reused): use a batch before asking for the next, or copy it. So iterating allocates nothing per batch
/// beyond the labels.
public struct DatasetBatches: Sequence {
    /// The dataset.
    public let data: Dataset
    /// The order of examples and the batch size.
    public let order: BatchOrder

    /// Number of batches, counting a partial last one.
    public var count: Int { order.batchCount }

    /// An iterator filling the shared buffer.
    public func makeIterator() -> Iterator { Iterator(data: data, order: order) }

    /// Fills the shared buffer with each batch in turn.
    public struct Iterator: IteratorProtocol {
        let data: Dataset
        let order: BatchOrder
        let buffer: Tensor
        var start = 0
        var labels: [Int] = []

        init(data: Dataset, order: BatchOrder) {
            self.data = data
            self.order = order
            buffer = Tensor(uninitialized: [Swift.max(order.batchSize, 1), data.featureCount])
        }

        /// The next batch: the examples `order.indices[start..<start + size]`.
        public mutating func next() -> Batch? {
            let indices = order.indices
            guard start < indices.count else { return nil }
            let end = Swift.min(start + order.batchSize, indices.count)
            let slice = indices[start..<end]
            let x = slice.count == order.batchSize ? buffer : buffer.rows(0..<slice.count)
            data.fill(x, indices: slice)
            labels.removeAll(keepingCapacity: true)
            for i in slice { labels.append(Int(data.labels[i])) }
            defer { start = end }
            return Batch(x: x, labels: labels, datasetSize: data.count)
        }
    }
}

extension Dataset {
    /// The examples in batches of `size`: shuffled with `rng` (drawing the permutation now), or in order.
    public func batches(size: Int, shuffle: Bool, rng: inout RandomGenerator) -> DatasetBatches {
        DatasetBatches(data: self, order: BatchOrder(count: count, batchSize: size, shuffle: shuffle, rng: &rng))
    }

    /// Examples per batch for evaluation passes: 500 MNIST digits, fewer of larger examples
    /// (`MemoryBudget.examplesPerPass`: 32 pictures of 64 x 64 x 3).
    public var evaluationBatchSize: Int { max(8, min(500, MemoryBudget.examplesPerPass(features: featureCount))) }

    /// The examples in order, in batches of `size` (the last may be smaller).
    public func batches(size: Int) -> DatasetBatches {
        var unused = RandomGenerator(seed: 0)
        return batches(size: size, shuffle: false, rng: &unused)
    }
}
