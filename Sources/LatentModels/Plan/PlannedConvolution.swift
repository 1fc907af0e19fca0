import LatentNN
import LatentTensor

/// One convolution (or transposed convolution) of a plan, with the activation after it, and the layer's output and
/// gradient buffers for the plan's row capacity. Full batches run on oneDNN's kernels (`direct`, where enabled);
/// partial ones, and backward data of images under 8 channels, on im2col + GEMM a cache-sized chunk of images at a
/// time (the weight in the GEMMs' layout, one chunk's im2col buffer). Computes what `Variable.conv2d` /
/// `convTranspose2d` compute, on buffers made once.
final class PlannedConvolution: PlannedOp {
    let transposed: Bool
    /// Input and output values per image.
    let inputSize: Int, outputSize: Int
    let kernel: Int, stride: Int, padding: Int
    /// The image im2col reads: the input for a convolution, the output for a transposed one.
    let imageHeight: Int, imageWidth: Int, imageChannels: Int
    /// Rows of the GEMM weight matrix (Cout for a convolution, Cin for a transposed one) and the other side.
    let filters: Int, other: Int
    let weight: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>
    let activation: Activation?
    /// The weight in im2col column order ([filters, k·k·channels]) and its gradient in that order.
    let weightColumns: Tensor, weightColumnsGrad: Tensor
    /// One chunk's im2col matrix.
    let columns: Tensor
    let imagesPerChunk: Int
    /// Output after the activation, its input where the derivative needs it, and d loss / d output.
    let output: Tensor, preActivation: Tensor?, outputGrad: Tensor
    /// oneDNN's kernels for full batches (`rows` images) of the convolution from the image side to the other (for
    /// a transposed layer, the convolution it is the adjoint of); nil where oneDNN has none: im2col does it all.
    let direct: DNNLConvolution?

    /// The layer for images of `height` × `width` × its input channels.
    init(
        _ layer: any Layer, height: Int, width: Int, activation: Activation?, weightGrad: UnsafeMutablePointer<Float>,
        biasGrad: UnsafeMutablePointer<Float>, rows: Int
    ) {
        let w: Tensor, b: Tensor
        var outputPadding = 0
        if let conv = layer as? Conv2D {
            (transposed, w, b, stride, padding) = (false, conv.weight.value, conv.bias.value, conv.stride, conv.padding)
            kernel = w.shape[2]
            (imageHeight, imageWidth, imageChannels) = (height, width, w.shape[1])
            (filters, other) = (w.shape[0], w.shape[1])
        } else {
            let conv = layer as! ConvTranspose2D
            (transposed, w, b, stride, padding) = (true, conv.weight.value, conv.bias.value, conv.stride, conv.padding)
            outputPadding = conv.outputPadding
            kernel = w.shape[2]
            let h = (height - 1) * stride - 2 * padding + kernel + conv.outputPadding
            let wo = (width - 1) * stride - 2 * padding + kernel + conv.outputPadding
            (imageHeight, imageWidth, imageChannels) = (h, wo, w.shape[1])
            (filters, other) = (w.shape[0], w.shape[1])
        }
        let geometry = ConvGeometry(
            batch: 1, height: imageHeight, width: imageWidth, channels: imageChannels, kernel: kernel, stride: stride,
            padding: padding)
        let small = geometry.outHeight * geometry.outWidth
        inputSize = transposed ? small * filters : imageHeight * imageWidth * imageChannels
        outputSize = transposed ? imageHeight * imageWidth * imageChannels : small * filters
        (weight, bias) = (UnsafePointer(w.data), UnsafePointer(b.data))
        (self.weightGrad, self.biasGrad, self.activation) = (weightGrad, biasGrad, activation)
        let patch = geometry.patchSize
        weightColumns = Tensor(uninitialized: [filters, patch])
        weightColumnsGrad = Tensor(uninitialized: [filters, patch])
        imagesPerChunk = min(max(rows, 1), ConvGeometry.imagesPerChunk(rowsPerImage: small, columns: patch))
        columns = Tensor(uninitialized: [imagesPerChunk * small, patch])
        let shape: Shape = [max(rows, 1), outputSize]
        output = Tensor(uninitialized: shape)
        preActivation = activation == .softplus || activation == .leakyRelu ? Tensor(uninitialized: shape) : nil
        outputGrad = Tensor(uninitialized: shape)
        direct =
            DNNLConvolution.isEnabled
            ? DNNLConvolution(
                batch: max(rows, 1), inChannels: imageChannels, inHeight: imageHeight, inWidth: imageWidth,
                outChannels: filters, outHeight: geometry.outHeight, outWidth: geometry.outWidth, kernel: kernel,
                stride: stride, padding: padding, paddingAfter: padding - outputPadding, bias: !transposed) : nil
    }

    /// Parameters this layer covers.
    var parameterCount: Int { filters * other * kernel * kernel + (transposed ? other : filters) }

    private func geometry(_ rows: Int) -> ConvGeometry {
        ConvGeometry(
            batch: rows, height: imageHeight, width: imageWidth, channels: imageChannels, kernel: kernel,
            stride: stride, padding: padding)
    }

    /// output = f(conv(x)) for `rows` images at `x`, a chunk at a time: bias, product and activation of a chunk
    /// while its rows are still in cache.
    func forward(_ x: UnsafePointer<Float>, rows: Int) {
        if let direct, rows == direct.batch, !transposed || direct.hasBackwardData {
            let y = preActivation?.data ?? output.data
            if transposed {
                direct.backwardData(x, weight: weight, into: y)
                addToRows(y, bias, rows: rows * outputSize / other, columns: other)
            } else {
                direct.forward(x, weight: weight, bias: bias, into: y)
            }
            if let activation { activation.function.apply(y, output.data, rows * outputSize) }
            return
        }
        let geo = geometry(rows), patch = geo.patchSize, w2 = weightColumns.data, cols = columns.data
        ConvGeometry.channelsLast(weight, n: filters, c: transposed ? imageChannels : other, k: kernel, into: w2)
        let y = preActivation?.data ?? output.data
        geo.forEachChunk(imagesPerChunk) { first, part in
            let yp = y + first * outputSize, values = part.batch * outputSize
            if transposed {
                let cin = filters
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: part.patchCount, n: patch, k: cin, x + first * inputSize,
                    lda: cin, w2, ldb: patch, beta: 0, cols, ldc: patch)
                part.col2im(cols, yp, bias: bias)
            } else {
                let cout = filters
                fillRows(yp, with: bias, rows: part.patchCount, columns: cout)
                part.im2col(x + first * inputSize, cols)
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: part.patchCount, n: cout, k: patch, cols, lda: patch,
                    w2, ldb: patch, beta: 1, yp, ldc: cout)
            }
            if let activation { activation.function.apply(yp, output.data + first * outputSize, values) }
        }
    }

    /// From d loss / d output (in `outputGrad`, turned into d loss / d pre-activation): the weight and bias
    /// gradients (overwritten) and, if asked, d loss / d input (overwritten). A chunk at a time, like `forward`.
    func backward(_ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?) {
        let g = outputGrad.data
        if let direct, rows == direct.batch {
            if let activation {
                let y = output.data
                activation.function.chainDerivative(
                    g, input: preActivation?.data ?? y, output: y, into: g, rows * outputSize)
            }
            if transposed {
                // The adjoint convolution reads the image side (here the gradient) and writes the other.
                sumRows(g, rows: rows * outputSize / other, columns: other, into: biasGrad)
                direct.backwardWeights(g, outputGrad: x, weightGrad: weightGrad, biasGrad: nil)
                if let inputGrad { direct.forward(g, weight: weight, bias: nil, into: inputGrad) }
            } else {
                direct.backwardWeights(x, outputGrad: g, weightGrad: weightGrad, biasGrad: biasGrad)
                guard let inputGrad else { return }
                if direct.hasBackwardData {
                    direct.backwardData(g, weight: weight, into: inputGrad)
                } else {
                    columnsInputGradient(g, rows: rows, into: inputGrad)
                }
            }
            return
        }
        let geo = geometry(rows), patch = geo.patchSize, w2 = weightColumns.data, dw2 = weightColumnsGrad.data
        let cols = columns.data, channels = transposed ? other : filters
        biasGrad.update(repeating: 0, count: channels)
        geo.forEachChunk(imagesPerChunk) { first, part in
            let rowsHere = part.patchCount, gp = g + first * outputSize, values = part.batch * outputSize
            if let activation {
                let y = output.data + first * outputSize
                activation.function.chainDerivative(
                    gp, input: preActivation.map { $0.data + first * outputSize } ?? y, output: y, into: gp, values)
            }
            addRows(gp, rows: values / channels, columns: channels, into: biasGrad)
            if transposed {
                let cin = filters, xp = x + first * inputSize
                part.im2col(gp, cols)  // d columns
                if let inputGrad {
                    BLAS.gemm(
                        transposeA: false, transposeB: true, m: rowsHere, n: cin, k: patch, cols, lda: patch, w2,
                        ldb: patch, beta: 0, inputGrad + first * inputSize, ldc: cin)
                }
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: cin, n: patch, k: rowsHere, xp, lda: cin, cols, ldb: patch,
                    beta: first == 0 ? 0 : 1, dw2, ldc: patch)
            } else {
                let cout = filters
                part.im2col(x + first * inputSize, cols)
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: cout, n: patch, k: rowsHere, gp, lda: cout, cols,
                    ldb: patch, beta: first == 0 ? 0 : 1, dw2, ldc: patch)
                if let inputGrad {
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: rowsHere, n: patch, k: cout, gp, lda: cout, w2,
                        ldb: patch, beta: 0, cols, ldc: patch)
                    part.col2im(cols, inputGrad + first * inputSize)
                }
            }
        }
        ConvGeometry.channelsFirst(dw2, n: filters, c: transposed ? imageChannels : other, k: kernel, into: weightGrad)
    }

    /// A convolution's d loss / d input from d loss / d output by im2col's adjoint, a chunk at a time.
    private func columnsInputGradient(_ g: UnsafePointer<Float>, rows: Int, into inputGrad: UnsafeMutablePointer<Float>)
    {
        let geo = geometry(rows), patch = geo.patchSize, w2 = weightColumns.data, cols = columns.data
        ConvGeometry.channelsLast(weight, n: filters, c: other, k: kernel, into: w2)
        geo.forEachChunk(imagesPerChunk) { first, part in
            BLAS.gemm(
                transposeA: false, transposeB: false, m: part.patchCount, n: patch, k: filters,
                g + first * outputSize, lda: filters, w2, ldb: patch, beta: 0, cols, ldc: patch)
            part.col2im(cols, inputGrad + first * inputSize)
        }
    }
}
