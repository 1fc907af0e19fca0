import CCairo
import Foundation
import LatentTensor

/// The file formats a picture can be written in, chosen by the output file's extension.
public enum PictureFormat: String, Sendable {
    case png, svg, pdf

    /// The format a path asks for, or nil for an unsupported extension.
    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": self = .png
        case "svg": self = .svg
        case "pdf": self = .pdf
        default: return nil
        }
    }
}

/// A Cairo drawing surface of a given size and format; `finish()` returns the encoded file.
public final class Canvas {
    /// The size in points.
    public let width: Double, height: Double
    /// The output format.
    public let format: PictureFormat
    /// The Cairo context to draw with.
    public let cr: OpaquePointer
    let surface: OpaquePointer
    private final class Sink { var data = Data() }
    private let sink = Sink()
    /// Every string drawn, in order: written into an SVG's <title>/<desc> (Cairo draws text as glyph
    /// outlines), so the figure's words can be searched and read by screen readers.
    public private(set) var texts: [String] = []
    /// The first title drawn (bold text): the SVG's <title>.
    public private(set) var title: String?

    /// A blank canvas of this size in points; throws if Cairo cannot make it.
    public init(width: Int, height: Int, format: PictureFormat) throws {
        self.width = Double(width)
        self.height = Double(height)
        self.format = format
        let write: cairo_write_func_t = { closure, bytes, length in
            Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        let made: OpaquePointer? =
            switch format {
            case .png: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
            case .svg: cairo_svg_surface_create_for_stream(write, closure, Double(width), Double(height))
            case .pdf: cairo_pdf_surface_create_for_stream(write, closure, Double(width), Double(height))
            }
        guard let made, cairo_surface_status(made) == CAIRO_STATUS_SUCCESS, let context = cairo_create(made) else {
            throw LatentError(.render, "cannot create a \(width)x\(height) \(format.rawValue) surface")
        }
        surface = made
        cr = context
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// Ends drawing and returns the file's bytes.
    public func finish() throws -> Data {
        cairo_surface_flush(surface)
        if format == .png {
            let status = cairo_surface_write_to_png_stream(
                surface,
                { closure, bytes, length in
                    Unmanaged<Sink>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
                    return CAIRO_STATUS_SUCCESS
                }, Unmanaged.passUnretained(sink).toOpaque())
            guard status == CAIRO_STATUS_SUCCESS else { throw LatentError(.render, "PNG encoding failed") }
        } else {
            cairo_surface_finish(surface)
        }
        if format == .svg { return Self.addingDescription(to: sink.data, title: title ?? "", texts: texts) }
        return sink.data
    }

    static func addingDescription(to svg: Data, title: String, texts: [String]) -> Data {
        var s = String(decoding: svg, as: UTF8.self)
        func escape(_ t: String) -> String {
            t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        guard let open = s.range(of: "<svg"), let close = s.range(of: ">", range: open.upperBound..<s.endIndex) else {
            return svg
        }
        let meta = "\n<title>\(escape(title))</title>\n<desc>\(texts.map(escape).joined(separator: " | "))</desc>"
        s.insert(contentsOf: meta, at: close.upperBound)
        return Data(s.utf8)
    }

    // MARK: drawing helpers

    /// Sets the colour of what is drawn next.
    public func color(_ c: RGB, alpha: Double = 1) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha) }

    /// Text at (x, y); `anchor` 0 = left, 0.5 = centred, 1 = right; `rotate` draws it upwards.
    public func text(
        _ s: String, x: Double, y: Double, size: Double, anchor: Double = 0, rotate: Bool = false, bold: Bool = false
    ) {
        texts.append(s)
        if bold && title == nil { title = s }
        cairo_select_font_face(
            cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var ext = cairo_text_extents_t()
        cairo_text_extents(cr, s, &ext)
        cairo_save(cr)
        cairo_translate(cr, x, y)
        if rotate { cairo_rotate(cr, -Double.pi / 2) }
        cairo_move_to(cr, -anchor * ext.x_advance, 0)
        cairo_show_text(cr, s)
        cairo_restore(cr)
    }

    /// Draws a line segment.
    public func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double = 1) {
        cairo_set_line_width(cr, width)
        cairo_move_to(cr, x0, y0)
        cairo_line_to(cr, x1, y1)
        cairo_stroke(cr)
    }
}

/// A colour, components in [0, 1].
public struct RGB: Sendable {
    /// Red, green and blue in [0, 1].
    public let r: Double, g: Double, b: Double
    /// A colour from components in [0, 1].
    public init(_ r: Double, _ g: Double, _ b: Double) {
        self.r = r
        self.g = g
        self.b = b
    }
    /// A colour from 0xRRGGBB.
    public init(hex: UInt32) {
        self.init(Double(hex >> 16 & 0xFF) / 255, Double(hex >> 8 & 0xFF) / 255, Double(hex & 0xFF) / 255)
    }

    /// matplotlib's "tab10" palette: ten colours people can tell apart, one per class.
    public static let tab10: [RGB] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { RGB(hex: $0) }

    /// The light halves of matplotlib's "tab20": classes 10…19.
    public static let tab20Light: [RGB] = [
        0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896, 0xc5b0d5,
        0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5,
    ].map { RGB(hex: $0) }

    /// Class k's colour: tab10 for the first ten, tab20's light colours for the next ten (as matplotlib), then
    /// hues spread by the golden angle, so a folder of more than ten classes does not repeat colours.
    public static func category(_ k: Int) -> RGB {
        if k >= 0 && k < tab10.count { return tab10[k] }
        if k >= tab10.count && k < tab10.count + tab20Light.count { return tab20Light[k - tab10.count] }
        let hue = (Double(k) * 137.508).truncatingRemainder(dividingBy: 360) / 60, (s, l) = (0.7, 0.42)
        let c = (1 - abs(2 * l - 1)) * s, x = c * (1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1)), m = l - c / 2
        let (r, g, b): (Double, Double, Double) =
            switch Int(hue) {
            case 0: (c, x, 0)
            case 1: (x, c, 0)
            case 2: (0, c, x)
            case 3: (0, x, c)
            case 4: (x, 0, c)
            default: (c, 0, x)
            }
        return RGB(r + m, g + m, b + m)
    }
}
