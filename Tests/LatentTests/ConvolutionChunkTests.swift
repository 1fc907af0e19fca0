import Latent
import Testing

/// The convolutions work a few images at a time (chunks of ~512 KB of im2col matrix). With images big enough
/// to need several chunks, a batch must give what its images give one by one: outputs, and gradients summed.
@Suite struct ConvolutionChunkTests {
    typealias Op = (Variable, Variable, Variable) -> Variable

    /// Output and (input, weight, bias) gradients of op on x, through the loss Σ weights · output.
    static func run(_ op: Op, x: Tensor, w: Tensor, b: Tensor, weights: [Float]) -> [Tensor] {
        let (xv, wv, bv) = (
            Variable(x.copy(), requiresGrad: true), Variable(w, requiresGrad: true), Variable(b, requiresGrad: true)
        )
        let y = op(xv, wv, bv)
        (y * Variable(Tensor(weights, shape: y.shape))).sum().backward()
        return [y.value, xv.grad!, wv.grad!, bv.grad!]
    }

    static func check(_ op: Op, imageShape: [Int], weightShape: Shape, biasCount: Int, outputCount: Int) {
        let images = 5, per = imageShape.reduce(1, *), perOut = outputCount
        let x = Support.random(Shape([images] + imageShape), seed: 1),
            w = Support.random(weightShape, seed: 2, low: -0.1, high: 0.1)
        let b = Support.random([biasCount], seed: 3)
        let weights = Support.random([images * perOut], seed: 9).array
        let whole = run(op, x: x, w: w, b: b, weights: weights)
        var weightGrad = Tensor(zeros: weightShape), biasGrad = Tensor(zeros: [biasCount])
        for i in 0..<images {
            let xi = Tensor(Array(x.array[(i * per)..<((i + 1) * per)]), shape: Shape([1] + imageShape))
            let single = run(op, x: xi, w: w, b: b, weights: Array(weights[(i * perOut)..<((i + 1) * perOut)]))
            let y = Tensor(Array(whole[0].array[(i * perOut)..<((i + 1) * perOut)]), shape: single[0].shape)
            #expect(Support.relativeError(y, single[0]) < 1e-5, "image \(i): output")
            let gx = Tensor(Array(whole[1].array[(i * per)..<((i + 1) * per)]), shape: single[1].shape)
            #expect(Support.relativeError(gx, single[1]) < 1e-5, "image \(i): input gradient")
            weightGrad = weightGrad + single[2]
            biasGrad = biasGrad + single[3]
        }
        #expect(Support.relativeError(whole[2], weightGrad) < 1e-4, "weight gradient summed over chunks")
        #expect(Support.relativeError(whole[3], biasGrad) < 1e-4, "bias gradient")
    }

    @Test func convolutionOverSeveralChunksEqualsImageByImage() {
        // 16×16×64 input, 4×4 kernel, stride 2: 64 patches of 1,024 per image → 2 images per chunk.
        Self.check(
            { Variable.conv2d($0, weight: $1, bias: $2, stride: 2, padding: 1) },
            imageShape: [16, 16, 64], weightShape: [8, 64, 4, 4], biasCount: 8, outputCount: 8 * 8 * 8)
    }

    @Test func transposedConvolutionOverSeveralChunksEqualsImageByImage() {
        // 8×8×8 input to 16×16×64: 64 input pixels × 1,024 columns per image → 2 images per chunk.
        Self.check(
            { Variable.convTranspose2d($0, weight: $1, bias: $2, stride: 2, padding: 1) },
            imageShape: [8, 8, 8], weightShape: [8, 64, 4, 4], biasCount: 64, outputCount: 16 * 16 * 64)
    }
}
