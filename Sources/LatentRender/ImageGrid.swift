import CCairo
import Foundation
import LatentTensor

/// Draws grey or RGB images (values in [0, 1], channels interleaved) as a grid and encodes it as PNG through
/// Cairo. Knows nothing of models or files: it takes plain tensors and returns PNG bytes.
public enum ImageGrid {
    /// A PNG of `images` ([n, height·width·channels], channels 1 or 3) laid out in rows of `columns`, each
    /// pixel drawn `scale`×`scale`, with a `gap` of background between cells.
    public static func png(
        _ images: Tensor, height: Int, width: Int, channels: Int = 1, columns: Int, scale: Int = 2, gap: Int = 2
    ) throws -> Data {
        let n = images.shape[0], c = channels
        precondition(
            (c == 1 || c == 3) && images.count == n * height * width * c,
            "images \(images.shape) are not \(width)x\(height)x\(c)")
        let rows = (n + columns - 1) / columns
        let cellW = width * scale + gap, cellH = height * scale + gap
        let w = columns * cellW + gap, h = max(rows, 1) * cellH + gap
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h)),
            cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS
        else {
            throw LatentError(.render, "cannot create a \(w)x\(h) image")
        }
        defer { cairo_surface_destroy(surface) }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let base = cairo_image_surface_get_data(surface)!
        // Background: a mid grey that sets the digits apart from each other.
        for y in 0..<h {
            let row = (base + y * stride).withMemoryRebound(to: UInt32.self, capacity: w) { $0 }
            for x in 0..<w { row[x] = 0x0040_4040 }
        }
        for k in 0..<n {
            let ox = gap + (k % columns) * cellW, oy = gap + (k / columns) * cellH
            let img = images.data + k * height * width * c
            func byte(_ v: Float) -> UInt32 { UInt32(max(0, min(255, (v * 255).rounded()))) }
            for y in 0..<(height * scale) {
                let row = (base + (oy + y) * stride).withMemoryRebound(to: UInt32.self, capacity: w) { $0 }
                for x in 0..<(width * scale) {
                    let p = img + ((y / scale) * width + x / scale) * c
                    let (r, g, b) = c == 3 ? (byte(p[0]), byte(p[1]), byte(p[2])) : (byte(p[0]), byte(p[0]), byte(p[0]))
                    row[ox + x] = r << 16 | g << 8 | b
                }
            }
        }
        cairo_surface_mark_dirty(surface)
        return try encodePNG(surface)
    }

    static func encodePNG(_ surface: OpaquePointer) throws -> Data {
        final class Sink { var data = Data() }
        let sink = Sink()
        let status = cairo_surface_write_to_png_stream(
            surface,
            { closure, bytes, length in
                let sink = Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue()
                sink.data.append(bytes!, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw LatentError(.render, "PNG encoding failed: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.data
    }
}
