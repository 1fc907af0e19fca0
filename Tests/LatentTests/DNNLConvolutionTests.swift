import Latent
import Testing

/// oneDNN's three convolution kernels (the planned step's full batches) against the definition: stride 1 and 2,
/// kernels 3 and 4, padding on both sides or one (a transposed convolution's output padding), one to 64 channels.
@Suite struct DNNLConvolutionTests {
    /// (in channels, height, width, out channels, kernel, stride, padding before, padding after)
    static let shapes = [
        (1, 9, 9, 16, 4, 2, 1, 1), (8, 6, 6, 12, 3, 2, 1, 0), (16, 5, 5, 3, 3, 1, 1, 1), (32, 14, 14, 64, 4, 2, 1, 1),
    ]

    @Test(arguments: shapes)
    func kernelsMatchTheDefinition(_ s: (Int, Int, Int, Int, Int, Int, Int, Int)) throws {
        let (c, h, w, o, k, stride, before, after) = s
        let batch = 3
        let oh = (h + before + after - k) / stride + 1, ow = (w + before + after - k) / stride + 1
        let conv = try #require(
            DNNLConvolution(
                batch: batch, inChannels: c, inHeight: h, inWidth: w, outChannels: o, outHeight: oh, outWidth: ow,
                kernel: k, stride: stride, padding: before, paddingAfter: after, bias: true))
        #expect(conv.hasBackwardData == (c >= 8))
        let x = Support.random([batch, h, w, c], seed: 1), weight = Support.random([o, c, k, k], seed: 2)
        let bias = Support.random([o], seed: 3), dy = Support.random([batch, oh, ow, o], seed: 4)
        var y = [Float](repeating: 0, count: batch * oh * ow * o), dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: weight.count), db = [Float](repeating: 0, count: o)
        // The definition, tap by tap.
        for b in 0..<batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for f in 0..<o {
                        let out = ((b * oh + oy) * ow + ox) * o + f
                        y[out] += bias.data[f]
                        db[f] += dy.data[out]
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * stride - before + ky, ix = ox * stride - before + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                for ch in 0..<c {
                                    let at = ((b * h + iy) * w + ix) * c + ch, tap = ((f * c + ch) * k + ky) * k + kx
                                    y[out] += x.data[at] * weight.data[tap]
                                    dx[at] += dy.data[out] * weight.data[tap]
                                    dw[tap] += dy.data[out] * x.data[at]
                                }
                            }
                        }
                    }
                }
            }
        }
        let gotY = Tensor(uninitialized: [batch, oh, ow, o]), gotW = Tensor(uninitialized: weight.shape)
        let gotB = Tensor(uninitialized: [o])
        conv.forward(x.data, weight: weight.data, bias: bias.data, into: gotY.data)
        conv.backwardWeights(x.data, outputGrad: dy.data, weightGrad: gotW.data, biasGrad: gotB.data)
        #expect(Self.close(gotY.array, y), "forward")
        #expect(Self.close(gotW.array, dw), "weight gradient")
        #expect(Self.close(gotB.array, db), "bias gradient")
        if conv.hasBackwardData {
            let gotX = Tensor(uninitialized: x.shape)
            conv.backwardData(dy.data, weight: weight.data, into: gotX.data)
            #expect(Self.close(gotX.array, dx), "input gradient")
        }
    }

    /// Within 1e-5 of the largest magnitude.
    static func close(_ a: [Float], _ b: [Float]) -> Bool {
        let scale = max(1, b.map(abs).max() ?? 1)
        return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * scale }
    }
}
