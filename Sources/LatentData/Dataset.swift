import LatentTensor

/// A labelled image dataset kept as the raw bytes it was stored in (one row of `featureCount` bytes per
/// example), so batches are built straight from uint8 without a float copy of the whole set.
public struct ImageDataset: Sendable {
    public let name: String
    /// Examples × features, row-major, 0…255.
    public let pixels: [UInt8]
    /// One class label per example (0…9 for MNIST).
    public let labels: [UInt8]
    public let count: Int
    /// Image height and width (features = height · width).
    public let height: Int, width: Int
    public var featureCount: Int { height * width }

    public init(name: String, pixels: [UInt8], labels: [UInt8], height: Int, width: Int) throws {
        let features = height * width
        guard features > 0, pixels.count % features == 0 else {
            throw DataError("\(name): \(pixels.count) bytes do not form \(height)x\(width) images")
        }
        guard labels.count == pixels.count / features else {
            throw DataError("\(name): \(pixels.count / features) images but \(labels.count) labels")
        }
        self.name = name
        self.pixels = pixels
        self.labels = labels
        self.count = labels.count
        self.height = height
        self.width = width
    }

    /// Writes examples `indices` into `batch` ([indices.count, features]) scaled to [0, 1].
    public func fill(_ batch: Tensor, indices: ArraySlice<Int>) {
        let f = featureCount
        precondition(batch.count == indices.count * f, "batch \(batch.shape) for \(indices.count) examples of \(f)")
        let scale: Float = 1 / 255
        pixels.withUnsafeBufferPointer { src in
            for (row, index) in indices.enumerated() {
                let s = src.baseAddress! + index * f, d = batch.data + row * f
                for j in 0..<f { d[j] = Float(s[j]) * scale }
            }
        }
    }

    /// Examples `range` in order, as a new [n, features] tensor in [0, 1].
    public func batch(_ range: Range<Int>) -> Tensor {
        let t = Tensor(uninitialized: [range.count, featureCount])
        fill(t, indices: ArraySlice(Array(range)))
        return t
    }

    /// Every pixel drawn once as Bernoulli(intensity), stored as 0 or 255: the fixed binarisation of a test set
    /// that models trained with dynamic binarisation are judged on (the same seed gives the same images).
    public func binarized(seed: UInt64) -> ImageDataset {
        var rng = RandomGenerator(seed: seed, stream: 77)
        let scale: Float = 1 / 255
        let bits = pixels.map { rng.uniform() < Float($0) * scale ? UInt8(255) : 0 }
        return try! ImageDataset(name: name + " (binarised)", pixels: bits, labels: labels, height: height, width: width)
    }

    /// The examples whose label is not `label` (e.g. training on "normal" digits only, for anomaly detection).
    public func excluding(label: Int) -> ImageDataset {
        let f = featureCount
        var px: [UInt8] = [], lb: [UInt8] = []
        px.reserveCapacity(pixels.count); lb.reserveCapacity(count)
        for i in 0..<count where Int(labels[i]) != label {
            px.append(contentsOf: pixels[(i * f)..<((i + 1) * f)]); lb.append(labels[i])
        }
        return try! ImageDataset(name: "\(name) without \(label)", pixels: px, labels: lb, height: height, width: width)
    }

    /// The first `n` examples (a smaller set for quick runs and tests).
    public func prefix(_ n: Int) -> ImageDataset {
        let k = min(n, count)
        return try! ImageDataset(name: name, pixels: Array(pixels[0..<(k * featureCount)]),
                                 labels: Array(labels[0..<k]), height: height, width: width)
    }
}
