/// Geometry of a 2-D convolution over NHWC images: batch × height × width × channels, row-major.
///
/// Latent keeps convolutional activations in NHWC so that im2col gives one row per output pixel and the
/// whole batch's convolution is a single GEMM; weights keep PyTorch's layouts ([out, in, kh, kw] for
/// Conv2d, [in, out, kh, kw] for ConvTranspose2d) so checkpoints read the same way.
public struct ConvGeometry: Equatable, Sendable {
    public let batch: Int
    /// Size of the image that im2col reads (a convolution's input, a transposed convolution's output).
    public let height: Int, width: Int, channels: Int
    public let kernel: Int, stride: Int, padding: Int
    /// Size of the other side (a convolution's output, a transposed convolution's input).
    public let outHeight: Int, outWidth: Int

    public init(batch: Int, height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Int) {
        self.batch = batch; self.height = height; self.width = width; self.channels = channels
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
    }

    /// Columns of the im2col matrix: channels · kernel², ordered (channel, ky, kx) like PyTorch's weights.
    public var patchSize: Int { channels * kernel * kernel }
    /// Rows of the im2col matrix: one per output pixel of the batch.
    public var patchCount: Int { batch * outHeight * outWidth }

    /// cols[(b, oy, ox), (c, ky, kx)] = image[b, oy·s − p + ky, ox·s − p + kx, c] (0 outside the image).
    public func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let k = kernel, kk = kernel * kernel, ps = patchSize
        var row = 0
        for b in 0..<batch {
            let img = image + b * height * width * channels
            for oy in 0..<outHeight { for ox in 0..<outWidth {
                let out = cols + row * ps
                for ky in 0..<k {
                    let iy = oy * stride - padding + ky
                    for kx in 0..<k {
                        let ix = ox * stride - padding + kx
                        let o = out + ky * k + kx
                        if iy < 0 || iy >= height || ix < 0 || ix >= width {
                            for c in 0..<channels { o[c * kk] = 0 }
                        } else {
                            let src = img + (iy * width + ix) * channels
                            for c in 0..<channels { o[c * kk] = src[c] }
                        }
                    }
                }
                row += 1
            } }
        }
    }

    /// The adjoint of im2col: image[b, iy, ix, c] += every cols entry that im2col read from there.
    public func col2im(_ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let k = kernel, kk = kernel * kernel, ps = patchSize
        var row = 0
        for b in 0..<batch {
            let img = image + b * height * width * channels
            for oy in 0..<outHeight { for ox in 0..<outWidth {
                let src = cols + row * ps
                for ky in 0..<k {
                    let iy = oy * stride - padding + ky
                    guard iy >= 0 && iy < height else { continue }
                    for kx in 0..<k {
                        let ix = ox * stride - padding + kx
                        guard ix >= 0 && ix < width else { continue }
                        let dst = img + (iy * width + ix) * channels
                        let s = src + ky * k + kx
                        for c in 0..<channels { dst[c] += s[c * kk] }
                    }
                }
                row += 1
            } }
        }
    }
}
