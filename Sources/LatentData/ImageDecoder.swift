import CJPEG
import CPNG
import Foundation
import LatentTensor

/// A decoded picture: 8-bit grey (1 channel) or RGB (3), row-major with channels interleaved.
public struct DecodedImage: Sendable {
    /// Size in pixels.
    public let width: Int, height: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// height × width × channels bytes.
    public var pixels: [UInt8]
    /// Whether the file itself held colour (a grey image decoded as RGB has equal channels).
    public let hasColour: Bool
}

/// PNG and JPEG decoding by the real libraries: libpng's simplified `png_image` API (every bit depth, palette,
/// grey + alpha, interlacing; alpha composited on white) and TurboJPEG (baseline, progressive, grey, CMYK).
/// The format is read from the file's first bytes, not its name, so a text file named .png is refused.
public enum ImageDecoder {
    /// The largest picture decoded: 2^26 pixels (e.g. 8192 × 8192), so a forged header cannot ask for gigabytes.
    public static let maxPixels = 1 << 26

    /// The picture in `data` as `channels` (1 or 3) 8-bit channels; `name` is used in errors. Pictures of more
    /// than `limit` pixels are refused before any pixel is decoded (a server takes less than a folder). With
    /// `covering`, a JPEG is decoded at the smallest of libjpeg's DCT scales (1/8, 1/4, …) whose size still
    /// covers twice that width and height: a 4000x3000 photo bound for 64x64 is decoded at 500x375, several times
    /// faster and in 1/64 of the memory (the scaled DCT averages each block, as the area resize after it would).
    public static func decode(
        _ data: Data, name: String, channels: Int, limit: Int = maxPixels,
        covering target: (width: Int, height: Int)? = nil
    ) throws -> DecodedImage {
        precondition(channels == 1 || channels == 3, "decode to 1 or 3 channels")
        let bytes = [UInt8](data.prefix(4))
        if bytes == [0x89, 0x50, 0x4E, 0x47] {
            return try decodePNG(data, name: name, channels: channels, limit: limit)
        }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF {
            return try decodeJPEG(data, name: name, channels: channels, limit: limit, covering: target)
        }
        throw LatentError(
            .data, "\(name): not a PNG or JPEG file (\(data.isEmpty ? "empty" : "unknown first bytes"))")
    }

    private static func checkSize(_ width: Int, _ height: Int, _ name: String, _ limit: Int) throws {
        guard width > 0, height > 0, width * height <= limit else {
            throw LatentError(
                .data, "\(name): \(width)x\(height) pixels is outside 1…\(limit) pixels; refusing to decode it")
        }
    }

    private static func decodePNG(_ data: Data, name: String, channels: Int, limit: Int) throws -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        func message() -> String {
            withUnsafeBytes(of: image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw LatentError(.data, "\(name): unreadable PNG (\(message()))") }
        let (width, height) = (Int(image.width), Int(image.height))
        try checkSize(width, height, name, limit)
        let colour = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        image.format = channels == 3 ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0  // PNG_FORMAT_RGB or PNG_FORMAT_GRAY
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var white = png_color()
        (white.red, white.green, white.blue) = (255, 255, 255)
        let done = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, &white, $0.baseAddress, Int32(width * channels), nil)
        }
        guard done != 0 else { throw LatentError(.data, "\(name): unreadable PNG (\(message()))") }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels, hasColour: colour)
    }

    private static func decodeJPEG(
        _ data: Data, name: String, channels: Int, limit: Int, covering target: (width: Int, height: Int)?
    ) throws -> DecodedImage {
        guard let handle = tjInitDecompress() else { throw LatentError(.data, "\(name): TurboJPEG did not start") }
        defer { tjDestroy(handle) }
        func failure() -> LatentError {
            LatentError(.data, "\(name): unreadable JPEG (\(String(cString: tjGetErrorStr2(handle))))")
        }
        var (w, h, subsampling, colourspace): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        let size = UInt(data.count)
        let header = data.withUnsafeBytes {
            tjDecompressHeader3(
                handle, $0.bindMemory(to: UInt8.self).baseAddress, size, &w, &h, &subsampling, &colourspace)
        }
        guard header == 0 else { throw failure() }
        try checkSize(Int(w), Int(h), name, limit)
        let (width, height) = target.map { scaledSize(Int(w), Int(h), covering: $0) } ?? (Int(w), Int(h))
        let cmyk = colourspace == Int32(TJCS_CMYK.rawValue) || colourspace == Int32(TJCS_YCCK.rawValue)
        let colour = colourspace != Int32(TJCS_GRAY.rawValue)
        let format = cmyk ? TJPF_CMYK : channels == 3 ? TJPF_RGB : TJPF_GRAY
        let step = cmyk ? 4 : channels
        var raw = [UInt8](repeating: 0, count: width * height * step)
        let status = data.withUnsafeBytes { src in
            raw.withUnsafeMutableBufferPointer {
                tjDecompress2(
                    handle, src.bindMemory(to: UInt8.self).baseAddress, size, $0.baseAddress, Int32(width), 0,
                    Int32(height), format.rawValue, 0)
            }
        }
        // A warning (e.g. a truncated file, whose missing rows libjpeg fills grey) is still an error here.
        guard status == 0 else { throw failure() }
        if cmyk { raw = fromInvertedCMYK(raw, channels: channels) }
        return DecodedImage(width: width, height: height, channels: channels, pixels: raw, hasColour: colour)
    }

    /// The smallest size TurboJPEG can decode a `width` x `height` JPEG at (its scaling factors up to 1) that
    /// still covers twice `target`; TurboJPEG picks that factor back from the size. (The margin keeps the last
    /// row and column, which a scaled DCT fills from a block padded past the picture's edge, a small part of the
    /// resized picture's edge pixels.)
    public static func scaledSize(
        _ width: Int, _ height: Int, covering target: (width: Int, height: Int)
    ) -> (Int, Int) {
        var best = (width, height), count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return best }
        for f in UnsafeBufferPointer(start: factors, count: Int(count)) where f.num <= f.denom {
            let (num, denom) = (Int(f.num), Int(f.denom))
            let w = (width * num + denom - 1) / denom, h = (height * num + denom - 1) / denom  // TJSCALED
            if w >= 2 * target.width && h >= 2 * target.height && w * h < best.0 * best.1 { best = (w, h) }
        }
        return best
    }

    /// Adobe's inverted CMYK (what libjpeg delivers for CMYK/YCCK files) to RGB or grey: R = C·K / 255, ….
    private static func fromInvertedCMYK(_ cmyk: [UInt8], channels: Int) -> [UInt8] {
        let n = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: n * channels)
        for i in 0..<n {
            let k = Int(cmyk[4 * i + 3])
            let r = Int(cmyk[4 * i]) * k / 255, g = Int(cmyk[4 * i + 1]) * k / 255, b = Int(cmyk[4 * i + 2]) * k / 255
            if channels == 3 {
                (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (UInt8(r), UInt8(g), UInt8(b))
            } else {
                out[i] = UInt8((299 * r + 587 * g + 114 * b + 500) / 1000)
            }
        }
        return out
    }
}
