/// The ground-truth factors of variation of each example of a generated dataset (dSprites: shape, scale,
/// orientation, x and y): what disentanglement metrics compare a model's codes with. Each factor takes `sizes[f]`
/// values, stored per example as the value's index.
public struct FactorLabels: Sendable, Equatable {
    /// The factors' names ("shape", "scale", …).
    public let names: [String]
    /// How many values each factor takes.
    public let sizes: [Int]
    /// Examples × factors, row-major: the index (0 ..< sizes[f]) of each factor's value.
    public let indices: [UInt8]

    /// Factors `names` of `sizes` values each, with `indices` (examples × factors); nil if the sizes do not fit.
    public init?(names: [String], sizes: [Int], indices: [UInt8]) {
        guard !names.isEmpty, names.count == sizes.count, sizes.allSatisfy({ (1...256).contains($0) }),
            indices.count % names.count == 0
        else { return nil }
        for (i, value) in indices.enumerated() where Int(value) >= sizes[i % names.count] { return nil }
        (self.names, self.sizes, self.indices) = (names, sizes, indices)
    }

    /// Number of factors.
    public var count: Int { names.count }
    /// Number of examples.
    public var examples: Int { indices.count / names.count }

    /// Factor `f`'s value index for every example.
    public func column(_ f: Int) -> [Int] {
        stride(from: f, to: indices.count, by: count).map { Int(indices[$0]) }
    }

    /// The rows of examples `rows`, in that order.
    public func rows(_ rows: [Int]) -> FactorLabels {
        var picked = [UInt8]()
        picked.reserveCapacity(rows.count * count)
        for r in rows { picked.append(contentsOf: indices[(r * count)..<((r + 1) * count)]) }
        return FactorLabels(uncheckedNames: names, sizes: sizes, indices: picked)
    }

    /// These examples followed by `other`'s (the same factors).
    public func appending(_ other: FactorLabels) -> FactorLabels {
        precondition(other.names == names && other.sizes == sizes, "appending different factors")
        return FactorLabels(uncheckedNames: names, sizes: sizes, indices: indices + other.indices)
    }

    private init(uncheckedNames names: [String], sizes: [Int], indices: [UInt8]) {
        (self.names, self.sizes, self.indices) = (names, sizes, indices)
    }
}
