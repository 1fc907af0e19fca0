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

/// out[j] = Σ_r g[r, j] over `rows` rows of `columns` values, `stride` values apart (default: `columns`).
func sumRows(
    _ g: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int? = nil, into out: UnsafeMutablePointer<Float>
) {
    out.update(repeating: 0, count: columns)
    addRows(g, rows: rows, columns: columns, stride: stride, into: out)
}

/// out[j] += Σ_r g[r, j] over `rows` rows of `columns` values, `stride` values apart (default: `columns`), row
/// after row.
func addRows(
    _ g: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int? = nil, into out: UnsafeMutablePointer<Float>
) {
    let stride = stride ?? columns
    for r in 0..<rows { VectorMath.add(g + r * stride, into: out, columns) }
}

/// Each of `rows` rows of `columns` values at `y` set to `row`.
func fillRows(_ y: UnsafeMutablePointer<Float>, with row: UnsafePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows { (y + r * columns).update(from: row, count: columns) }
}

/// Each of `rows` rows of `columns` values at `y` plus `row`.
func addToRows(_ y: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, rows: Int, columns: Int) {
    if columns == 1 {
        let b = row[0]
        for r in 0..<rows { y[r] += b }
        return
    }
    for r in 0..<rows { VectorMath.add(row, into: y + r * columns, columns) }
}
