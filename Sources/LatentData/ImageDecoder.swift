import CJPEG
import CPNGRead
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

/// A picture's size and whether it holds colour, from its file's header alone.
public struct PictureHeader: Hashable, Sendable {
    /// Size in pixels.
    public let width: Int, height: Int
    /// Whether the file holds colour (not grey).
    public let colour: Bool
}

/// PNG and JPEG decoding by the real libraries, to the pixels Pillow gives (`Image.open(f).convert("RGB")` or
/// `"L"`): libpng's read API (every bit depth, palette, grey + alpha, interlacing; 16-bit samples keep their high
/// byte; no gamma conversion, whatever the file's gAMA says, as Pillow, OpenCV and torchvision) and TurboJPEG
/// (baseline, progressive, grey, CMYK). Transparent pixels are composited on white in sRGB values, as Pillow's
/// `alpha_composite` over a white picture; colour becomes grey by Pillow's ITU-R 601-2 luma. The format is read
/// from the file's first bytes, not its name, so a text file named .png is refused.
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

    /// The width, height and whether the file holds colour, from the header alone (nil: not a readable PNG or
    /// JPEG header, or one of more than `maxPixels` pixels, which `decode` refuses); nothing is decoded.
    public static func header(_ data: Data) -> PictureHeader? {
        guard let (width, height, colour) = headerFields(data), width * height <= maxPixels else { return nil }
        return PictureHeader(width: width, height: height, colour: colour)
    }

    private static func headerFields(_ data: Data) -> (Int, Int, Bool)? {
        let bytes = [UInt8](data.prefix(4))
        if bytes == [0x89, 0x50, 0x4E, 0x47] {
            var (w, h): (UInt32, UInt32) = (0, 0)
            var (colour, alpha): (Int32, Int32) = (0, 0)
            var reason = [CChar](repeating: 0, count: 64)
            let read = data.withUnsafeBytes {
                latent_png_header(
                    $0.bindMemory(to: UInt8.self).baseAddress, $0.count, &w, &h, &colour, &alpha, &reason, 64)
            }
            return read == 0 && w > 0 && h > 0 ? (Int(w), Int(h), colour != 0) : nil
        }
        guard bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF,
            let handle = tjInitDecompress()
        else { return nil }
        defer { tjDestroy(handle) }
        var (w, h, subsampling, colourspace): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        let read = data.withUnsafeBytes {
            tjDecompressHeader3(
                handle, $0.bindMemory(to: UInt8.self).baseAddress, UInt($0.count), &w, &h, &subsampling, &colourspace)
        }
        return read == 0 && w > 0 && h > 0 ? (Int(w), Int(h), colourspace != Int32(TJCS_GRAY.rawValue)) : nil
    }

    private static func checkSize(_ width: Int, _ height: Int, _ name: String, _ limit: Int) throws {
        guard width > 0, height > 0, width * height <= limit else {
            throw LatentError(
                .data, "\(name): \(width)x\(height) pixels is outside 1…\(limit) pixels; refusing to decode it")
        }
    }

    /// Installs the check libpng makes after each row (a Ctrl-C stops a large picture within a row).
    private static let stopCheckInstalled: Bool = {
        latent_png_set_stop_check { StopRequest.isRequested ? 1 : 0 }
        return true
    }()

    private static func decodePNG(_ data: Data, name: String, channels: Int, limit: Int) throws -> DecodedImage {
        _ = stopCheckInstalled
        var reason = [CChar](repeating: 0, count: 256)
        func failure() -> LatentError {
            let text = String(decoding: reason.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
            return LatentError(.data, "\(name): unreadable PNG (\(text))")
        }
        var (w, h): (UInt32, UInt32) = (0, 0)
        var (colour, alpha): (Int32, Int32) = (0, 0)
        let header = data.withUnsafeBytes {
            latent_png_header(
                $0.bindMemory(to: UInt8.self).baseAddress, $0.count, &w, &h, &colour, &alpha, &reason, 256)
        }
        guard header == 0 else { throw failure() }
        let (width, height) = (Int(w), Int(h))
        try checkSize(width, height, name, limit)
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let done = data.withUnsafeBytes { src in
            rgba.withUnsafeMutableBytes {
                latent_png_decode_rgba(
                    src.bindMemory(to: UInt8.self).baseAddress, src.count,
                    $0.bindMemory(to: UInt8.self).baseAddress, $0.count, &reason, 256)
            }
        }
        guard done == 0 else { throw failure() }
        let pixels = PillowColour.fromRGBA(rgba, channels: channels, compositeOnWhite: alpha != 0)
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels, hasColour: colour != 0)
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
        // A colour JPEG bound for grey is decoded to RGB first and made grey by Pillow's luma, as Pillow does.
        let format = cmyk ? TJPF_CMYK : colour ? TJPF_RGB : TJPF_GRAY
        let step = cmyk ? 4 : colour ? 3 : 1
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
        if cmyk {
            raw = PillowColour.fromInvertedCMYK(raw, channels: channels)
        } else if step != channels {
            raw = Self.convert(raw, from: step, to: channels)
        }
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

    /// Grey to RGB (repeated) or RGB to grey (Pillow's luma).
    static func convert(_ pixels: [UInt8], from: Int, to: Int) -> [UInt8] {
        let n = pixels.count / from
        var out = [UInt8](repeating: 0, count: n * to)
        for i in 0..<n {
            if to == 3 {
                (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (pixels[i], pixels[i], pixels[i])
            } else {
                out[i] = PillowColour.luma(Int(pixels[3 * i]), Int(pixels[3 * i + 1]), Int(pixels[3 * i + 2]))
            }
        }
        return out
    }
}
