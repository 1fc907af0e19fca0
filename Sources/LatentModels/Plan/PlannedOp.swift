import LatentTensor

/// A step of a plan's convolutional chain: it reads `rows` images at a pointer, writes `output`, and takes
/// d loss / d output in `outputGrad` back to its parameters and (if asked) its input, overwriting both.
protocol PlannedOp: AnyObject {
    var output: Tensor { get }
    var outputGrad: Tensor { get }
    var parameterCount: Int { get }
    func forward(_ x: UnsafePointer<Float>, rows: Int)
    func backward(_ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?)
}

/// out[j] = Σ_r g[r, j] over `rows` rows of `columns` values.
func sumRows(_ g: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
    out.update(repeating: 0, count: columns)
    for r in 0..<rows { VectorMath.add(g + r * columns, into: out, columns) }
}
