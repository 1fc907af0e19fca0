import Latent
import Testing

/// im2col and its adjoint against the definition, for the fixed-width paths (kernel rows of 4 and 8 values: one
/// or two channels under a 4-wide kernel) and the general one, with padding on every side.
@Suite struct Im2colTests {
    @Test(arguments: [(1, 4, 2, 1), (2, 4, 2, 1), (1, 4, 1, 2), (3, 3, 2, 1), (1, 2, 1, 0)])
    func matchesTheDefinition(_ c: Int, _ k: Int, _ stride: Int, _ padding: Int) {
        let geo = ConvGeometry(batch: 2, height: 7, width: 6, channels: c, kernel: k, stride: stride, padding: padding)
        let image = Support.random([2, 7, 6, c], seed: 4), p = geo.patchSize
        let cols = Tensor(uninitialized: [geo.patchCount, p])
        geo.im2col(image.data, cols.data)
        var expected = [Float](repeating: 0, count: geo.patchCount * p)
        var scattered = [Float](repeating: 0, count: image.count)
        let g = Support.random([geo.patchCount, p], seed: 5)
        for b in 0..<2 {
            for oy in 0..<geo.outHeight {
                for ox in 0..<geo.outWidth {
                    let row = (b * geo.outHeight + oy) * geo.outWidth + ox
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                            guard iy >= 0, iy < 7, ix >= 0, ix < 6 else { continue }
                            for ch in 0..<c {
                                let at = ((b * 7 + iy) * 6 + ix) * c + ch, column = (ky * k + kx) * c + ch
                                expected[row * p + column] = image.data[at]
                                scattered[at] += g.data[row * p + column]
                            }
                        }
                    }
                }
            }
        }
        #expect(cols.array == expected)
        let back = Tensor(uninitialized: image.shape)
        geo.col2im(g.data, back.data)
        #expect(zip(back.array, scattered).allSatisfy { abs($0 - $1) <= 1e-5 })
    }
}
