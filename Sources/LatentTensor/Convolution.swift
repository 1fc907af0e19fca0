/// Geometry of a 2-D convolution over NHWC images: batch × height × width × channels, row-major.
///
/// Latent keeps convolutional activations in NHWC so that im2col gives one row per output pixel and the
/// whole batch's convolution is a single GEMM; weights keep PyTorch's layouts ([out, in, kh, kw] for
/// Conv2d, [in, out, kh, kw] for ConvTranspose2d) so checkpoints read the same way.
package struct ConvGeometry: Equatable, Sendable {
    package let batch: Int
    /// Size of the image that im2col reads (a convolution's input, a transposed convolution's output).
    package let height: Int, width: Int, channels: Int
    package let kernel: Int, stride: Int, padding: Int
    /// Size of the other side (a convolution's output, a transposed convolution's input).
    package let outHeight: Int, outWidth: Int

    package init(batch: Int, height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Int) {
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
    }

    /// Columns of the im2col matrix: kernel² · channels, ordered (ky, kx, channel), so each kernel tap copies
    /// one contiguous run of channels.
    package var patchSize: Int { channels * kernel * kernel }
    /// Rows of the im2col matrix: one per output pixel of the batch.
    package var patchCount: Int { batch * outHeight * outWidth }

    /// cols[(b, oy, ox), (ky, kx, c)] = image[b, oy·s − p + ky, ox·s − p + kx, c] (0 outside the image).
    package func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let k = kernel, c = channels
        // Runs of 4 or 8 values (a kernel row of one or two channels): fixed-width copies, since a memmove call
        // per run costs more than the copy (the first layer of an image model).
        if k * c == 4 { return im2colSmallRuns(image, cols, SIMD4<Float>.self) }
        if k * c == 8 { return im2colSmallRuns(image, cols, SIMD8<Float>.self) }
        forEachKernelRow { row, ky, pixel, lo, hi in
            let o = cols + row * patchSize + ky * k * c
            guard let pixel else {
                o.update(repeating: 0, count: k * c)
                return
            }
            if lo > 0 { o.update(repeating: 0, count: lo * c) }
            (o + lo * c).update(from: image + pixel, count: (hi - lo) * c)
            if hi < k { (o + hi * c).update(repeating: 0, count: (k - hi) * c) }
        }
    }

    private func im2colSmallRuns<V: SIMD<Float>>(
        _ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, _: V.Type
    ) {
        let k = kernel, c = channels
        forEachKernelRow { row, ky, pixel, lo, hi in
            let o = cols + row * patchSize + ky * k * c
            if let pixel, lo == 0, hi == k {
                UnsafeMutableRawPointer(o).storeBytes(
                    of: UnsafeRawPointer(image + pixel).loadUnaligned(as: V.self), as: V.self)
                return
            }
            UnsafeMutableRawPointer(o).storeBytes(of: V(), as: V.self)
            guard let pixel else { return }
            for j in 0..<((hi - lo) * c) { o[lo * c + j] = image[pixel + j] }
        }
    }

    /// The adjoint of im2col: image[b, iy, ix, c] = bias[c] (or 0) + the sum of every cols entry that im2col
    /// read from there. Scatters each patch row's in-bounds run with one vectorised add.
    package func col2im(
        _ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil
    ) {
        let k = kernel, c = channels
        let pixels = batch * height * width
        if let bias {
            for q in 0..<pixels { (image + q * c).update(from: bias, count: c) }
        } else {
            image.update(repeating: 0, count: pixels * c)
        }
        if k * c == 4 { return col2imSmallRuns(cols, image, SIMD4<Float>.self) }
        if k * c == 8 { return col2imSmallRuns(cols, image, SIMD8<Float>.self) }
        forEachKernelRow { row, ky, pixel, lo, hi in
            guard let pixel else { return }
            let dst = image + pixel, src = cols + row * patchSize + (ky * k + lo) * c
            VectorMath.add(src, into: dst, (hi - lo) * c)
        }
    }

    /// col2im's scatter for kernel rows of 4 or 8 values: one fixed-width add per run that lies inside.
    private func col2imSmallRuns<V: SIMD<Float>>(
        _ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, _: V.Type
    ) where V.Scalar == Float {
        let k = kernel, c = channels
        forEachKernelRow { row, ky, pixel, lo, hi in
            guard let pixel else { return }
            let dst = image + pixel, src = cols + row * patchSize + (ky * k + lo) * c
            if lo == 0, hi == k {
                let sum =
                    UnsafeRawPointer(dst).loadUnaligned(as: V.self) + UnsafeRawPointer(src).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(dst).storeBytes(of: sum, as: V.self)
                return
            }
            for j in 0..<((hi - lo) * c) { dst[j] += src[j] }
        }
    }

    /// For each im2col row (output pixel of the batch) and kernel row ky: `body(row, ky, pixel, lo, hi)`, where
    /// the taps kx in lo..<hi fall inside the image, a contiguous run starting at element `pixel` of the
    /// image batch; `pixel` is nil when the kernel row lies outside the image or no tap falls inside.
    @inline(__always)
    private func forEachKernelRow(_ body: (Int, Int, Int?, Int, Int) -> Void) {
        let c = channels
        var row = 0
        for b in 0..<batch {
            let image = b * height * width * c
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let x0 = ox * stride - padding
                    let lo = max(0, -x0), hi = min(kernel, width - x0)
                    for ky in 0..<kernel {
                        let iy = oy * stride - padding + ky
                        let inside = iy >= 0 && iy < height && lo < hi
                        body(row, ky, inside ? image + (iy * width + x0 + lo) * c : nil, lo, hi)
                    }
                    row += 1
                }
            }
        }
    }

    /// Images per chunk so that a chunk's im2col matrix (`rowsPerImage` × `columns`) is about 512 KB (at least
    /// one image): made, multiplied and dropped while it is still in the core's cache.
    package static func imagesPerChunk(rowsPerImage: Int, columns: Int) -> Int {
        max(1, (128 * 1024) / max(1, rowsPerImage * columns))
    }

    /// Calls `body(firstImage, geometry of the chunk)` for consecutive chunks of `per` images.
    package func forEachChunk(_ per: Int, _ body: (Int, ConvGeometry) -> Void) {
        var first = 0
        while first < batch {
            let n = min(per, batch - first)
            body(
                first,
                ConvGeometry(
                    batch: n, height: height, width: width, channels: channels, kernel: kernel, stride: stride,
                    padding: padding))
            first += n
        }
    }

    /// A PyTorch-layout kernel [n, c, k, k] written as [n, k, k, c], the im2col column order.
    package static func channelsLast(
        _ w: UnsafePointer<Float>, n: Int, c: Int, k: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for a in 0..<n {
            for ch in 0..<c {
                for t in 0..<(k * k) { out[(a * k * k + t) * c + ch] = w[(a * c + ch) * k * k + t] }
            }
        }
    }

    /// The inverse: [n, k, k, c] written as [n, c, k, k].
    package static func channelsFirst(
        _ g: UnsafePointer<Float>, n: Int, c: Int, k: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for a in 0..<n {
            for ch in 0..<c {
                for t in 0..<(k * k) { out[(a * c + ch) * k * k + t] = g[(a * k * k + t) * c + ch] }
            }
        }
    }

    /// A PyTorch-layout kernel [n, c, k, k] rearranged to a new [n, k, k, c] tensor, the im2col column order.
    package static func channelsLast(_ w: Tensor) -> Tensor {
        let (n, c, k) = (w.shape[0], w.shape[1], w.shape[2])
        let out = Tensor(uninitialized: [n, k, k, c])
        channelsLast(w.data, n: n, c: c, k: k, into: out.data)
        return out
    }
}
