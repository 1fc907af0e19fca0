/// Per-channel loops over NHWC activations ([rows, channels], channels contiguous), BatchNorm's inner work:
/// sums accumulated in float over blocks of rows (vectorised across channels) and flushed into double
/// totals, and per-channel affine maps. `scratch` holds the block accumulators (c floats for `sums`, 2c for
/// `products`).
package enum ChannelKernels {
    private static let block = 64

    /// totals[j] += Σ_r (x[r, j] − shift[j]) (or its square), shift 0 when nil.
    package static func sums(
        _ x: UnsafePointer<Float>, rows: Int, channels c: Int, shift: UnsafePointer<Float>?, squared: Bool,
        into totals: UnsafeMutablePointer<Double>, scratch acc: UnsafeMutablePointer<Float>
    ) {
        for start in stride(from: 0, to: rows, by: block) {
            acc.update(repeating: 0, count: c)
            for r in start..<min(rows, start + block) {
                let row = x + r * c
                switch (shift, squared) {
                case (nil, false): for j in 0..<c { acc[j] += row[j] }
                case (nil, true): for j in 0..<c { acc[j] += row[j] * row[j] }
                case (let m?, false): for j in 0..<c { acc[j] += row[j] - m[j] }
                case (let m?, true):
                    for j in 0..<c {
                        let d = row[j] - m[j]
                        acc[j] += d * d
                    }
                }
            }
            for j in 0..<c { totals[j] += Double(acc[j]) }
        }
    }

    /// sumD[j] += Σ_r d[r, j] and sumDX[j] += Σ_r d[r, j]·(x[r, j] − shift[j]).
    package static func products(
        _ d: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, channels c: Int,
        shift: UnsafePointer<Float>, sumD: UnsafeMutablePointer<Double>, sumDX: UnsafeMutablePointer<Double>,
        scratch acc: UnsafeMutablePointer<Float>
    ) {
        let accX = acc + c
        for start in stride(from: 0, to: rows, by: block) {
            acc.update(repeating: 0, count: 2 * c)
            for r in start..<min(rows, start + block) {
                let dr = d + r * c, xr = x + r * c
                for j in 0..<c {
                    acc[j] += dr[j]
                    accX[j] += dr[j] * (xr[j] - shift[j])
                }
            }
            for j in 0..<c {
                sumD[j] += Double(acc[j])
                sumDX[j] += Double(accX[j])
            }
        }
    }

    /// y[r, j] = x[r, j]·scale[j] + offset[j].
    package static func affine(
        _ x: UnsafePointer<Float>, rows: Int, channels c: Int, scale: UnsafePointer<Float>,
        offset: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let xr = x + r * c, yr = y + r * c
            for j in 0..<c { yr[j] = xr[j] * scale[j] + offset[j] }
        }
    }

    /// o[r, j] = p[j]·d[r, j] − q[j]·(x[r, j] − shift[j]) − t[j].
    package static func combine(
        _ d: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, channels c: Int, p: UnsafePointer<Float>,
        q: UnsafePointer<Float>, shift: UnsafePointer<Float>, t: UnsafePointer<Float>,
        into o: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let dr = d + r * c, xr = x + r * c, orow = o + r * c
            for j in 0..<c { orow[j] = p[j] * dr[j] - q[j] * (xr[j] - shift[j]) - t[j] }
        }
    }
}
