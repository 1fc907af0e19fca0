/// The gradient a training step leaves: the sum of buffers laid out like the parameters, the primary
/// (`ParameterSet.grads`) and the data-parallel workers' own. A plain view of buffers the step owns, and the
/// one place their sum is defined: always the primary plus the others in order, element by element, so an
/// optimiser that fuses the sum into its update (Adam), one that adds it first (SGD), and processes that add
/// it before they exchange it all compute the same numbers.
public final class GradientSum: ParallelWork {
    /// The buffer the sum is left in, when it is made (`ParameterSet.grads`).
    public let primary: UnsafeMutablePointer<Float>
    /// The other buffers, in the order they are added (optional-typed, as the C update takes them).
    public let others: [UnsafeMutablePointer<Float>?]
    /// Values per buffer.
    public let count: Int
    /// Slices of a parallel `reduce`.
    private var pieces = 1

    /// The sum of `primary` and `others` (tensors of one size; the view keeps no reference to them).
    public init(_ primary: Tensor, others: [Tensor] = []) {
        precondition(others.allSatisfy { $0.count == primary.count }, "gradient buffers of different sizes")
        (self.primary, self.others, count) = (primary.data, others.map(\.data), primary.count)
    }

    /// Element i of the sum.
    @inline(__always) public func value(_ i: Int) -> Float {
        var g = primary[i]
        for o in others { g += o![i] }
        return g
    }

    /// The sum as a new tensor of `shape` (for checks and reports; a step never needs it).
    public func total(shape: Shape) -> Tensor {
        let t = Tensor(uninitialized: shape)
        precondition(t.count == count, "shape \(shape) for \(count) values")
        for i in 0..<count { t.data[i] = value(i) }
        return t
    }

    /// Sets every buffer's values to `value` (a check that a step writes them all).
    public func fill(_ value: Float) {
        primary.update(repeating: value, count: count)
        for o in others { o!.update(repeating: value, count: count) }
    }

    /// Slice `w` of `k` of `count` values: slices start at multiples of 8, so every slice but the last is whole
    /// SIMD8 blocks (the split Adam's update and norm use).
    public static func slice(_ w: Int, of k: Int, count n: Int) -> Range<Int> {
        ((w * n / k) & ~7)..<(w == k - 1 ? n : ((w + 1) * n / k) & ~7)
    }

    /// Leaves the sum in `primary`, split over `threads` (allocates nothing).
    public func reduce(threads: Int) {
        guard !others.isEmpty else { return }
        pieces = max(1, threads)
        Parallel.forEach(pieces, self)
    }

    /// Adds the others into `primary` over slice `w` of the reduce.
    package func runPiece(_ w: Int) {
        let range = Self.slice(w, of: pieces, count: count), g = primary
        for o in others {
            let o = o!
            for i in range { g[i] += o[i] }
        }
    }
}
