/// The dimensions of a tensor, up to rank 4, stored inline so that making a tensor never allocates an array.
public struct Shape: Equatable, Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The highest rank a shape can have (stored inline, no allocation).
    public static let maxRank = 4
    /// Number of dimensions (0 for a scalar).
    public let rank: Int
    private var dims: (Int, Int, Int, Int)

    /// A shape of these dimensions.
    public init(_ dimensions: [Int]) {
        precondition(
            dimensions.count <= Shape.maxRank, "Shape supports rank \(Shape.maxRank) at most, got \(dimensions)")
        precondition(dimensions.allSatisfy { $0 >= 0 }, "negative dimension in \(dimensions)")
        rank = dimensions.count
        dims = (0, 0, 0, 0)
        for (i, d) in dimensions.enumerated() { self[i] = d }
    }

    /// A shape written as `[rows, columns]`.
    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// A scalar's shape: rank 0, one element.
    public static let scalar = Shape([])

    /// The size along `axis`.
    public subscript(axis: Int) -> Int {
        get {
            precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for \(self)")
            switch axis {
            case 0: return dims.0
            case 1: return dims.1
            case 2: return dims.2
            default: return dims.3
            }
        }
        set {
            switch axis {
            case 0: dims.0 = newValue
            case 1: dims.1 = newValue
            case 2: dims.2 = newValue
            default: dims.3 = newValue
            }
        }
    }

    /// Number of elements.
    public var count: Int {
        var n = 1
        for i in 0..<rank { n *= self[i] }
        return n
    }

    /// The sizes, outermost first.
    public var dimensions: [Int] { (0..<rank).map { self[$0] } }

    /// "[2, 3]".
    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// Same rank and sizes.
    public static func == (a: Shape, b: Shape) -> Bool {
        guard a.rank == b.rank else { return false }
        for i in 0..<a.rank where a[i] != b[i] { return false }
        return true
    }

    /// Hashes the sizes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rank)
        for i in 0..<rank { hasher.combine(self[i]) }
    }

    /// NumPy/PyTorch broadcasting: align trailing axes; each pair must be equal or contain a 1.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let rank = max(a.rank, b.rank)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.rank ? 1 : a[i - (rank - a.rank)]
            let db = i < rank - b.rank ? 1 : b[i - (rank - b.rank)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return Shape(out)
    }

    /// Element strides of this shape when read as `target` under broadcasting (0 on broadcast axes),
    /// right-aligned to rank 4.
    @usableFromInline func broadcastStrides(to target: Shape) -> (Int, Int, Int, Int) {
        var strides = [0, 0, 0, 0]
        var step = 1
        for i in Swift.stride(from: rank - 1, through: 0, by: -1) {
            let axis4 = 4 - (rank - i)
            let targetDim = target[target.rank - (rank - i)]
            strides[axis4] = (self[i] == 1 && targetDim != 1) ? 0 : step
            step *= self[i]
        }
        return (strides[0], strides[1], strides[2], strides[3])
    }

    /// This shape right-aligned to rank 4, padded with ones in front.
    @usableFromInline var padded4: (Int, Int, Int, Int) {
        var d = [1, 1, 1, 1]
        for i in 0..<rank { d[4 - rank + i] = self[i] }
        return (d[0], d[1], d[2], d[3])
    }
}
