import LatentTensor

/// Convolutions as im2col + one GEMM over the whole batch (activations NHWC, weights in PyTorch layout).
extension Variable {
    /// 2-D convolution. x: [B, H, W, Cin]; weight: [Cout, Cin, k, k]; bias: [Cout] → [B, Ho, Wo, Cout].
    public static func conv2d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int, padding: Int) -> Variable {
        precondition(x.shape.rank == 4 && weight.shape.rank == 4 && weight.shape[1] == x.shape[3] && weight.shape[2] == weight.shape[3],
                     "conv2d: input \(x.shape) (NHWC) and weight \(weight.shape) ([out, in, k, k]) do not fit")
        let geo = ConvGeometry(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: x.shape[3],
                               kernel: weight.shape[2], stride: stride, padding: padding)
        let cout = weight.shape[0]
        let cols = Tensor(uninitialized: [geo.patchCount, geo.patchSize])
        geo.im2col(x.value.data, cols.data)
        let w2 = ConvGeometry.channelsLast(weight.value).reshaped([cout, geo.patchSize])   // [Cout, k·k·Cin]
        let y = Tensor(uninitialized: [geo.patchCount, cout])
        if let bias { for r in 0..<geo.patchCount { (y.data + r * cout).update(from: bias.value.data, count: cout) } }
        Tensor.gemm(cols, w2, transposeB: true, into: y, beta: bias == nil ? 0 : 1)   // [P, Ckk]·[Cout, Ckk]ᵀ
        var parents = [x, weight]
        if let bias { parents.append(bias) }
        return Variable(y.reshaped([geo.batch, geo.outHeight, geo.outWidth, cout]), parents: parents) { g4 in
            let g = g4.reshaped([geo.patchCount, cout])
            if weight.requiresGrad {
                let dw = Tensor.matmul(g, transposeA: true, cols)                                  // [Cout, k·k·Cin]
                weight.accumulate(channelsFirst(dw, like: weight.value))
            }
            if let bias, bias.requiresGrad { bias.accumulate(g.sumRows()) }
            if x.requiresGrad {
                let dcols = Tensor.matmul(g, w2)                                                   // [P, Ckk]
                let dx = Tensor(uninitialized: x.shape)
                geo.col2im(dcols.data, dx.data)
                x.accumulate(dx)
            }
        }
    }

    /// 2-D transposed convolution (the adjoint of conv2d, as PyTorch's ConvTranspose2d with output_padding).
    /// x: [B, Hi, Wi, Cin]; weight: [Cin, Cout, k, k]; bias: [Cout] →
    /// [B, (Hi−1)·s − 2p + k + outputPadding, (Wi−1)·s − 2p + k + outputPadding, Cout].
    public static func convTranspose2d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int, padding: Int,
                                       outputPadding: Int = 0) -> Variable {
        precondition(x.shape.rank == 4 && weight.shape.rank == 4 && weight.shape[0] == x.shape[3] && weight.shape[2] == weight.shape[3],
                     "convTranspose2d: input \(x.shape) (NHWC) and weight \(weight.shape) ([in, out, k, k]) do not fit")
        let (b, hi, wi, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cout = weight.shape[1], k = weight.shape[2]
        let ho = (hi - 1) * stride - 2 * padding + k + outputPadding
        let wo = (wi - 1) * stride - 2 * padding + k + outputPadding
        // im2col of the output image reads back exactly the input grid.
        let geo = ConvGeometry(batch: b, height: ho, width: wo, channels: cout, kernel: k, stride: stride, padding: padding)
        precondition(geo.outHeight == hi && geo.outWidth == wi, "convTranspose2d geometry mismatch")
        let x2 = x.value.reshaped([b * hi * wi, cin])
        let w2 = ConvGeometry.channelsLast(weight.value).reshaped([cin, geo.patchSize])   // [Cin, k·k·Cout]
        let cols = Tensor.matmul(x2, w2)                                  // [B·Hi·Wi, k²·Cout]
        let y = Tensor(uninitialized: [b, ho, wo, cout])
        geo.col2im(cols.data, y.data, bias: bias?.value.data)
        var parents = [x, weight]
        if let bias { parents.append(bias) }
        return Variable(y, parents: parents) { g in
            let dcols = Tensor(uninitialized: [b * hi * wi, geo.patchSize])
            geo.im2col(g.data, dcols.data)
            if x.requiresGrad { x.accumulate(Tensor.matmul(dcols, w2, transposeB: true).reshaped(x.shape)) }
            if weight.requiresGrad { weight.accumulate(channelsFirst(Tensor.matmul(x2, transposeA: true, dcols), like: weight.value)) }
            if let bias, bias.requiresGrad { bias.accumulate(g.sumRows()) }
        }
    }
}

/// A kernel gradient computed in im2col order ([n, k·k·c]) back in PyTorch's layout [n, c, k, k].
private func channelsFirst(_ g: Tensor, like w: Tensor) -> Tensor {
    let out = Tensor(zeros: w.shape)
    ConvGeometry.accumulateChannelsFirst(g.reshaped([w.shape[0], w.shape[2], w.shape[3], w.shape[1]]), into: out)
    return out
}
