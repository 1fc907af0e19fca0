/// Pillow's integer colour arithmetic, so that a folder of pictures reads to the same bytes in Latent as in a
/// PyTorch script (`Image.open(f).convert(…)`): alpha composited on white, RGB to grey, Adobe CMYK to RGB.
enum PillowColour {
    /// RGBA to `channels` (1 or 3) bytes a pixel; with `compositeOnWhite`, each pixel as Pillow's
    /// `Image.alpha_composite(white, picture)` gives it (PRECISION_BITS 7, the same rounding), else alpha dropped.
    static func fromRGBA(_ rgba: [UInt8], channels: Int, compositeOnWhite: Bool) -> [UInt8] {
        let n = rgba.count / 4
        var out = [UInt8](repeating: 0, count: n * channels)
        rgba.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    var r = Int(src[4 * i]), g = Int(src[4 * i + 1]), b = Int(src[4 * i + 2])
                    let a = Int(src[4 * i + 3])
                    if compositeOnWhite && a != 255 {
                        (r, g, b) = (overWhite(r, a), overWhite(g, a), overWhite(b, a))
                    }
                    if channels == 3 {
                        (dst[3 * i], dst[3 * i + 1], dst[3 * i + 2]) = (UInt8(r), UInt8(g), UInt8(b))
                    } else {
                        dst[i] = luma(r, g, b)
                    }
                }
            }
        }
        return out
    }

    /// One channel `value` of alpha `alpha` over white, as Pillow's AlphaComposite.c computes it.
    @inline(__always) static func overWhite(_ value: Int, _ alpha: Int) -> Int {
        let coef1 = alpha << 7, coef2 = (255 << 7) - coef1  // outa255 is 255 · 255 over an opaque background
        let blended = value * coef1 + 255 * coef2 + (0x80 << 7)
        return (((blended >> 8) + blended) >> 8) >> 7
    }

    /// Pillow's "L" from RGB: L = R · 299/1000 + G · 587/1000 + B · 114/1000 in 16-bit fixed point, rounded.
    @inline(__always) static func luma(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
    }

    /// Adobe's inverted CMYK bytes (what libjpeg delivers for CMYK/YCCK JPEGs; Pillow's rawmode "CMYK;I") to
    /// `channels` bytes a pixel, as Pillow's cmyk2rgb: R = (255 − K) − (C · (255 − K)) / 255, rounded as there.
    static func fromInvertedCMYK(_ cmyk: [UInt8], channels: Int) -> [UInt8] {
        let n = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: n * channels)
        func muldiv255(_ a: Int, _ b: Int) -> Int {
            let t = a * b + 128
            return ((t >> 8) + t) >> 8
        }
        for i in 0..<n {
            let nk = Int(cmyk[4 * i + 3])  // 255 − K: the stored byte is already inverted
            func channel(_ c: Int) -> Int { max(0, min(255, nk - muldiv255(255 - Int(cmyk[4 * i + c]), nk))) }
            let (r, g, b) = (channel(0), channel(1), channel(2))
            if channels == 3 {
                (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (UInt8(r), UInt8(g), UInt8(b))
            } else {
                out[i] = luma(r, g, b)
            }
        }
        return out
    }
}
