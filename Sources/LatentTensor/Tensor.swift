/// A dense float32 tensor: one contiguous row-major buffer plus a shape.
///
/// Tensors have reference semantics, like PyTorch's: ops return new tensors, and the methods named as
/// verbs (`add(_:)`, `fill(_:)`, `copy(from:)`) change a tensor in place. A tensor either owns its buffer
/// (returned to a pool when the tensor goes away) or is a view into another tensor's buffer (`reshaped`,
/// `rows`), which it keeps alive.
public final class Tensor: @unchecked Sendable {
    /// The tensor's dimensions.
    public let shape: Shape
    /// Number of elements (`shape.count`).
    public let count: Int
    /// The elements, row-major.
    public let data: UnsafeMutablePointer<Float>
    private let base: Tensor?

    /// An uninitialised tensor; callers overwrite every element.
    public init(uninitialized shape: Shape) {
        self.shape = shape
        count = shape.count
        data = BufferPool.shared.take(count)
        base = nil
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: Shape) {
        self.init(repeating: 0, shape: shape)
    }

    /// A tensor with every element `value`.
    public convenience init(repeating value: Float, shape: Shape) {
        self.init(uninitialized: shape)
        data.update(repeating: value, count: count)
    }

    /// A tensor holding `values` (row-major) in `shape`.
    public convenience init(_ values: [Float], shape: Shape) {
        precondition(values.count == shape.count, "\(values.count) values do not fill shape \(shape)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A rank-0 tensor holding one value.
    public convenience init(scalar: Float) {
        self.init([scalar], shape: .scalar)
    }

    /// A view of `count` elements of `base` starting at `offset`, with a new shape.
    public init(viewing base: Tensor, offset: Int = 0, shape: Shape) {
        precondition(
            offset >= 0 && offset + shape.count <= base.count, "view \(shape) at \(offset) exceeds \(base.shape)")
        self.shape = shape
        count = shape.count
        data = base.data + offset
        self.base = base
    }

    deinit {
        if base == nil { BufferPool.shared.give(data, count: count) }
    }

    /// The same elements under another shape with the same count (a view, no copy).
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.count == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(viewing: self, shape: newShape)
    }

    /// Rows `range` of a tensor of rank ≥ 1, as a view.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(
            shape.rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) out of \(shape)")
        var s = shape
        s[0] = range.count
        return Tensor(viewing: self, offset: range.lowerBound * (count / max(shape[0], 1)), shape: s)
    }

    /// A copy with its own buffer.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Overwrites the elements with `other`'s (same count).
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor with shape \(shape)")
        return data[0]
    }

    /// The elements as an array (a copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The element at a flat index.
    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// The element of a rank-2 tensor.
    public subscript(row: Int, column: Int) -> Float {
        get { data[row * shape[1] + column] }
        set { data[row * shape[1] + column] = newValue }
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape and leading values, for debugging.
    public var description: String {
        let shown = (0..<min(count, 8)).map { String(data[$0]) }.joined(separator: ", ")
        return "Tensor\(shape)(\(shown)\(count > 8 ? ", …" : ""))"
    }
}

extension Tensor {
    /// One-hot rows: [labels.count, classes] with a 1 at each label.
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        let t = Tensor(zeros: [labels.count, classes])
        for (r, l) in labels.enumerated() {
            precondition(l >= 0 && l < classes, "label \(l) out of range 0..<\(classes)")
            t.data[r * classes + l] = 1
        }
        return t
    }
}
