/// Resizing a decoded picture to the training size the way torchvision's Resize + CenterCrop do: scaled so it
/// covers the target, then the centre cut out. Downscaling averages each output pixel's footprint (an area, or
/// box, filter: antialiased); upscaling interpolates linearly. Separable, in floats, one row pass then one
/// column pass. Hand-written: no library among Latent's dependencies resizes 8-bit images.
public enum ImageResize {
    /// `image` covered and centre-cropped to `width` × `height`, rounded back to 8 bits.
    public static func fit(_ image: DecodedImage, width: Int, height: Int) -> [UInt8] {
        let c = image.channels
        if image.width == width && image.height == height { return image.pixels }
        let scale = max(Double(width) / Double(image.width), Double(height) / Double(image.height))
        let xs = taps(source: image.width, target: width, scale: scale)
        let ys = taps(source: image.height, target: height, scale: scale)
        // Rows pass: image.height × width × c.
        var rows = [Float](repeating: 0, count: image.height * width * c)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<image.height {
                for (x, tap) in xs.enumerated() {
                    for ch in 0..<c {
                        var sum: Float = 0
                        for (k, w) in tap.weights.enumerated() {
                            sum += w * Float(src[(y * image.width + tap.first + k) * c + ch])
                        }
                        rows[(y * width + x) * c + ch] = sum
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: height * width * c)
        for (y, tap) in ys.enumerated() {
            for i in 0..<(width * c) {
                var sum: Float = 0
                for (k, w) in tap.weights.enumerated() { sum += w * rows[(tap.first + k) * width * c + i] }
                out[y * width * c + i] = UInt8(max(0, min(255, sum.rounded())))
            }
        }
        return out
    }

    /// One output index's source pixels: `weights` for sources first, first + 1, …, summing to 1.
    struct Tap {
        var first: Int
        var weights: [Float]
    }

    /// The taps along one axis: output i covers source [offset + i / scale, offset + (i + 1) / scale], the
    /// window centred in the source.
    static func taps(source: Int, target: Int, scale: Double) -> [Tap] {
        let footprint = 1 / scale, offset = (Double(source) - Double(target) * footprint) / 2
        return (0..<target).map { i in
            let lo = offset + Double(i) * footprint, hi = lo + footprint
            if footprint <= 1 {
                // Upscaling: linear interpolation at the footprint's centre (pixel centres at j + ½).
                let centre = (lo + hi) / 2 - 0.5
                let j = Int(centre.rounded(.down)), t = Float(centre - Double(j))
                let a = min(max(j, 0), source - 1), b = min(max(j + 1, 0), source - 1)
                if a == b { return Tap(first: a, weights: [1]) }
                return Tap(first: a, weights: [1 - t, t])
            }
            // Downscaling: each source pixel [j, j + 1] weighted by its overlap with [lo, hi].
            let first = max(0, Int(lo.rounded(.down))), last = min(source - 1, Int(hi.rounded(.up)) - 1)
            var weights = (first...last).map { j in Float(max(0, min(hi, Double(j + 1)) - max(lo, Double(j)))) }
            let total = weights.reduce(0, +)
            weights = weights.map { $0 / total }
            return Tap(first: first, weights: weights)
        }
    }
}
