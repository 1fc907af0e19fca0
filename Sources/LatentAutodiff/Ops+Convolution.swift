import LatentTensor

/// Convolutions as im2col + GEMM (activations NHWC, weights in PyTorch layout), a few images at a time: each
/// chunk's im2col matrix (~512 KB) is made, multiplied and dropped while it is still in the core's cache,
/// instead of writing and re-reading one matrix for the whole batch through memory. The backward pass
/// rebuilds the chunks it needs rather than keeping them.
extension Variable {
    /// 2-D convolution. x: [B, H, W, Cin]; weight: [Cout, Cin, k, k]; bias: [Cout] → [B, Ho, Wo, Cout].
    public static func conv2d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int, padding: Int) -> Variable {
        precondition(
            x.shape.rank == 4 && weight.shape.rank == 4 && weight.shape[1] == x.shape[3]
                && weight.shape[2] == weight.shape[3],
            "conv2d: input \(x.shape) (NHWC) and weight \(weight.shape) ([out, in, k, k]) do not fit")
        let geo = ConvGeometry(
            batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: x.shape[3],
            kernel: weight.shape[2], stride: stride, padding: padding)
        let cout = weight.shape[0], ps = geo.patchSize, outPixels = geo.outHeight * geo.outWidth
        let inPixels = geo.height * geo.width * geo.channels
        let w2 = ConvGeometry.channelsLast(weight.value).reshaped([cout, ps])  // [Cout, k·k·Cin]
        let y = Tensor(uninitialized: [geo.patchCount, cout])
        if let bias { for r in 0..<geo.patchCount { (y.data + r * cout).update(from: bias.value.data, count: cout) } }
        let per = ConvGeometry.imagesPerChunk(rowsPerImage: outPixels, columns: ps)
        let cols = Tensor(uninitialized: [min(per, geo.batch) * outPixels, ps])
        geo.forEachChunk(per) { first, part in
            let rows = part.patchCount
            part.im2col(x.value.data + first * inPixels, cols.data)
            BLAS.gemm(
                transposeA: false, transposeB: true, m: rows, n: cout, k: ps, cols.data, lda: ps, w2.data, ldb: ps,
                beta: bias == nil ? 0 : 1, y.data + first * outPixels * cout, ldc: cout)  // [P, Ckk]·[Cout, Ckk]ᵀ
        }
        var parents = [x, weight]
        if let bias { parents.append(bias) }
        return Variable(y.reshaped([geo.batch, geo.outHeight, geo.outWidth, cout]), parents: parents) { g4 in
            let g = g4.reshaped([geo.patchCount, cout])
            let dw = weight.requiresGrad ? Tensor(uninitialized: [cout, ps]) : nil  // [Cout, k·k·Cin]
            let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
            let dcols = dx == nil ? nil : Tensor(uninitialized: cols.shape)
            geo.forEachChunk(per) { first, part in
                let rows = part.patchCount, gp = g.data + first * outPixels * cout
                if let dw {
                    part.im2col(x.value.data + first * inPixels, cols.data)
                    BLAS.gemm(
                        transposeA: true, transposeB: false, m: cout, n: ps, k: rows, gp, lda: cout, cols.data, ldb: ps,
                        beta: first == 0 ? 0 : 1, dw.data, ldc: ps)
                }
                if let dx, let dcols {
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: rows, n: ps, k: cout, gp, lda: cout, w2.data, ldb: ps,
                        beta: 0, dcols.data, ldc: ps)  // [P, Ckk]
                    part.col2im(dcols.data, dx.data + first * inPixels)
                }
            }
            if let dw { weight.accumulate(channelsFirst(dw, like: weight.value)) }
            if let bias, bias.requiresGrad { bias.accumulate(g.sumRows()) }
            if let dx { x.accumulate(dx) }
        }
    }

    /// 2-D transposed convolution (the adjoint of conv2d, as PyTorch's ConvTranspose2d with output_padding).
    /// x: [B, Hi, Wi, Cin]; weight: [Cin, Cout, k, k]; bias: [Cout] →
    /// [B, (Hi−1)·s − 2p + k + outputPadding, (Wi−1)·s − 2p + k + outputPadding, Cout].
    public static func convTranspose2d(
        _ x: Variable, weight: Variable, bias: Variable?, stride: Int, padding: Int,
        outputPadding: Int = 0
    ) -> Variable {
        precondition(
            x.shape.rank == 4 && weight.shape.rank == 4 && weight.shape[0] == x.shape[3]
                && weight.shape[2] == weight.shape[3],
            "convTranspose2d: input \(x.shape) (NHWC) and weight \(weight.shape) ([in, out, k, k]) do not fit")
        let (b, hi, wi, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cout = weight.shape[1], k = weight.shape[2]
        let ho = (hi - 1) * stride - 2 * padding + k + outputPadding
        let wo = (wi - 1) * stride - 2 * padding + k + outputPadding
        // im2col of the output image reads back exactly the input grid.
        let geo = ConvGeometry(
            batch: b, height: ho, width: wo, channels: cout, kernel: k, stride: stride, padding: padding)
        precondition(geo.outHeight == hi && geo.outWidth == wi, "convTranspose2d geometry mismatch")
        let ps = geo.patchSize, inPixels = hi * wi, outImage = ho * wo * cout
        let w2 = ConvGeometry.channelsLast(weight.value).reshaped([cin, ps])  // [Cin, k·k·Cout]
        let y = Tensor(uninitialized: [b, ho, wo, cout])
        let per = ConvGeometry.imagesPerChunk(rowsPerImage: inPixels, columns: ps)
        let cols = Tensor(uninitialized: [min(per, b) * inPixels, ps])
        geo.forEachChunk(per) { first, part in
            BLAS.gemm(
                transposeA: false, transposeB: false, m: part.patchCount, n: ps, k: cin,
                x.value.data + first * inPixels * cin,
                lda: cin, w2.data, ldb: ps, beta: 0, cols.data, ldc: ps)  // [B·Hi·Wi, k²·Cout]
            part.col2im(cols.data, y.data + first * outImage, bias: bias?.value.data)
        }
        var parents = [x, weight]
        if let bias { parents.append(bias) }
        return Variable(y, parents: parents) { g in
            let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
            let dw = weight.requiresGrad ? Tensor(uninitialized: [cin, ps]) : nil
            geo.forEachChunk(per) { first, part in
                let rows = part.patchCount
                part.im2col(g.data + first * outImage, cols.data)  // d cols
                if let dx {
                    BLAS.gemm(
                        transposeA: false, transposeB: true, m: rows, n: cin, k: ps, cols.data, lda: ps, w2.data,
                        ldb: ps,
                        beta: 0, dx.data + first * inPixels * cin, ldc: cin)
                }
                if let dw {
                    BLAS.gemm(
                        transposeA: true, transposeB: false, m: cin, n: ps, k: rows,
                        x.value.data + first * inPixels * cin,
                        lda: cin, cols.data, ldb: ps, beta: first == 0 ? 0 : 1, dw.data, ldc: ps)
                }
            }
            if let dx { x.accumulate(dx) }
            if let dw { weight.accumulate(channelsFirst(dw, like: weight.value)) }
            if let bias, bias.requiresGrad { bias.accumulate(g.sumRows()) }
        }
    }
}

/// A kernel gradient computed in im2col order ([n, k·k·c]) back in PyTorch's layout [n, c, k, k].
private func channelsFirst(_ g: Tensor, like w: Tensor) -> Tensor {
    let out = Tensor(uninitialized: w.shape)
    ConvGeometry.channelsFirst(g.data, n: w.shape[0], c: w.shape[1], k: w.shape[2], into: out.data)
    return out
}
