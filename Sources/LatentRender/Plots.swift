import CCairo
import Foundation
import LatentTensor

/// Ready-made figures: labelled scatter plots of embeddings and line plots of training curves. They take
/// plain arrays and return the encoded file (PNG, SVG or PDF).
public enum Plots {
    /// One 2-D projection for a panel of a scatter figure.
    public struct Panel: Sendable {
        /// The points' coordinates.
        public let x: [Float], y: [Float]
        /// The axis labels.
        public let xLabel: String, yLabel: String
        /// A panel of points with axis labels.
        public init(x: [Float], y: [Float], xLabel: String, yLabel: String) {
            self.x = x
            self.y = y
            self.xLabel = xLabel
            self.yLabel = yLabel
        }
    }

    static func range(_ v: [Float]) -> ClosedRange<Double> {
        let finite = v.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        let pad = Double(hi - lo) * 0.04 + 1e-6
        return (Double(lo) - pad)...(Double(hi) + pad)
    }

    /// Scatter plots side by side (one per panel), points coloured by `labels` (tab10), with a legend naming each
    /// class by `classNames[label]` where given (else its number).
    public static func scatter(
        _ panels: [Panel], labels: [Int]?, classNames: [String]? = nil, title: String, format: PictureFormat,
        panelSize: Int = 560
    ) throws -> Data {
        let margin = (left: 70.0, top: 40.0, right: 20.0, bottom: 55.0)
        let canvas = try Canvas(width: panelSize * panels.count, height: panelSize, format: format)
        let classes = Set(labels ?? []).sorted()
        let radius = max(1.2, min(3.5, 260 / Double(max(panels.first?.x.count ?? 1, 1)).squareRoot()))
        for (p, panel) in panels.enumerated() {
            let axes = Axes(
                canvas: canvas, left: Double(p * panelSize) + margin.left, top: margin.top,
                width: Double(panelSize) - margin.left - margin.right,
                height: Double(panelSize) - margin.top - margin.bottom,
                x: range(panel.x), y: range(panel.y))
            axes.drawFrame(
                title: panels.count == 1 ? title : "\(title): \(panel.yLabel) vs \(panel.xLabel)",
                xLabel: panel.xLabel, yLabel: panel.yLabel)
            axes.clip()
            for i in 0..<panel.x.count where panel.x[i].isFinite && panel.y[i].isFinite {
                let (cx, cy) = axes.point(Double(panel.x[i]), Double(panel.y[i]))
                canvas.color(labels.map { RGB.category($0[i]) } ?? RGB.tab10[0], alpha: 0.7)
                cairo_arc(canvas.cr, cx, cy, radius, 0, 2 * Double.pi)
                cairo_fill(canvas.cr)
            }
            axes.unclip()
            if p == panels.count - 1 {
                axes.drawLegend(
                    classes.map { c in
                        (name: classNames.flatMap { c < $0.count ? $0[c] : nil } ?? String(c), color: RGB.category(c))
                    })
            }
        }
        return try canvas.finish()
    }

    /// One named series of a line plot.
    public struct Series: Sendable {
        /// The name shown in the legend.
        public let name: String
        /// The series' points.
        public let x: [Double], y: [Double]
        /// A named series of points.
        public init(name: String, x: [Double], y: [Double]) {
            self.name = name
            self.x = x
            self.y = y
        }
    }

    /// Line plots with markers, one panel per group of series, each with its own y-axis and legend.
    public static func lines(
        _ groups: [(title: String, yLabel: String, series: [Series])], xLabel: String,
        format: PictureFormat, panelWidth: Int = 560, height: Int = 420
    ) throws -> Data {
        let canvas = try Canvas(width: panelWidth * groups.count, height: height, format: format)
        for (g, group) in groups.enumerated() {
            let xs = group.series.flatMap(\.x), ys = group.series.flatMap(\.y)
            let axes = Axes(
                canvas: canvas, left: Double(g * panelWidth) + 75, top: 40, width: Double(panelWidth) - 95,
                height: Double(height) - 95, x: range(xs.map(Float.init)), y: range(ys.map(Float.init)),
                integerX: xs.allSatisfy { $0 == $0.rounded() })
            axes.drawFrame(title: group.title, xLabel: xLabel, yLabel: group.yLabel)
            axes.clip()
            for (k, s) in group.series.enumerated() {
                canvas.color(RGB.category(k))
                cairo_set_line_width(canvas.cr, 2)
                for (i, (x, y)) in zip(s.x, s.y).enumerated() {
                    let (px, py) = axes.point(x, y)
                    if i == 0 { cairo_move_to(canvas.cr, px, py) } else { cairo_line_to(canvas.cr, px, py) }
                }
                cairo_stroke(canvas.cr)
                for (x, y) in zip(s.x, s.y) {
                    let (px, py) = axes.point(x, y)
                    cairo_arc(canvas.cr, px, py, 3, 0, 2 * Double.pi)
                    cairo_fill(canvas.cr)
                }
            }
            axes.unclip()
            axes.drawLegend(group.series.enumerated().map { (name: $1.name, color: RGB.category($0)) }, lines: true)
        }
        return try canvas.finish()
    }

    /// Overlaid histograms (as outlined, translucent bars over shared bins), one per named group, with a legend.
    public static func histogram(
        _ groups: [(name: String, values: [Double])], bins: Int = 50, title: String, xLabel: String,
        format: PictureFormat, width: Int = 640, height: Int = 440
    ) throws -> Data {
        let all = groups.flatMap(\.values).filter(\.isFinite)
        guard let lo = all.min(), let hi = all.max() else { throw LatentError(.render, "histogram: no finite values") }
        let span = hi > lo ? hi - lo : 1
        // Densities, so groups of different sizes compare.
        let densities = groups.map { g -> [Double] in
            var counts = [Double](repeating: 0, count: bins)
            for v in g.values where v.isFinite { counts[min(bins - 1, Int((v - lo) / span * Double(bins)))] += 1 }
            let total = max(1, Double(g.values.count)) * span / Double(bins)
            return counts.map { $0 / total }
        }
        let top = densities.flatMap { $0 }.max() ?? 1
        let canvas = try Canvas(width: width, height: height, format: format)
        let axes = Axes(
            canvas: canvas, left: 75, top: 40, width: Double(width) - 95, height: Double(height) - 95,
            x: lo...(lo + span), y: 0...(top * 1.05))
        axes.drawFrame(title: title, xLabel: xLabel, yLabel: "density")
        axes.clip()
        for (k, d) in densities.enumerated() {
            for b in 0..<bins where d[b] > 0 {
                let (x0, y0) = axes.point(lo + span * Double(b) / Double(bins), d[b])
                let (x1, y1) = axes.point(lo + span * Double(b + 1) / Double(bins), 0)
                canvas.color(RGB.category(k), alpha: 0.45)
                cairo_rectangle(canvas.cr, x0, y0, x1 - x0, y1 - y0)
                cairo_fill_preserve(canvas.cr)
                canvas.color(RGB.category(k), alpha: 0.9)
                cairo_set_line_width(canvas.cr, 0.8)
                cairo_stroke(canvas.cr)
            }
        }
        axes.unclip()
        axes.drawLegend(groups.enumerated().map { (name: $1.name, color: RGB.category($0)) })
        return try canvas.finish()
    }

    /// A grid of grayscale images with a title and the latent coordinates along its edges (the classic
    /// VAE manifold figure); with `rowNames`, each row is named instead of numbered (a traversal), and the axes
    /// are `xName` and `yName`.
    public static func imageGrid(
        _ images: [Float], height: Int, width: Int, channels: Int = 1, rows: Int, columns: Int, title: String,
        xValues: [Double], yValues: [Double], format: PictureFormat, scale: Int = 2, rowNames: [String]? = nil,
        xName: String = "z₀", yName: String = "z₁"
    ) throws -> Data {
        let scale = width > 32 ? 1 : scale  // large pictures need no magnifying
        let cellW = Double(width * scale), cellH = Double(height * scale)
        let left = rowNames == nil ? 60.0 : 100.0, top = 40.0
        let canvas = try Canvas(
            width: Int(left + Double(columns) * cellW + 20), height: Int(top + Double(rows) * cellH + 45),
            format: format)
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width * columns), Int32(height * rows))
        else {
            throw LatentError(.render, "cannot create the image grid")
        }
        defer { cairo_surface_destroy(surface) }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface)), base = cairo_image_surface_get_data(surface)!
        for r in 0..<rows {
            for c in 0..<columns {
                let img = (r * columns + c) * height * width * channels
                func byte(_ i: Int) -> UInt32 { UInt32(max(0, min(255, (images[i] * 255).rounded()))) }
                for y in 0..<height {
                    let row = (base + (r * height + y) * stride).withMemoryRebound(
                        to: UInt32.self, capacity: width * columns
                    ) { $0 }
                    for x in 0..<width {
                        let p = img + (y * width + x) * channels
                        let (red, green, blue) =
                            channels == 3 ? (byte(p), byte(p + 1), byte(p + 2)) : (byte(p), byte(p), byte(p))
                        row[c * width + x] = red << 16 | green << 8 | blue
                    }
                }
            }
        }
        cairo_surface_mark_dirty(surface)
        cairo_save(canvas.cr)
        cairo_translate(canvas.cr, left, top)
        cairo_scale(canvas.cr, Double(scale), Double(scale))
        cairo_set_source_surface(canvas.cr, surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(canvas.cr), CAIRO_FILTER_NEAREST)
        cairo_paint(canvas.cr)
        cairo_restore(canvas.cr)
        canvas.color(RGB(0.1, 0.1, 0.1))
        canvas.text(title, x: left + Double(columns) * cellW / 2, y: 26, size: 14, anchor: 0.5, bold: true)
        let step = max(1, columns / 5)
        for c in Swift.stride(from: 0, to: columns, by: step) where c < xValues.count {
            canvas.text(
                String(format: "%.2f", xValues[c]), x: left + (Double(c) + 0.5) * cellW,
                y: top + Double(rows) * cellH + 16, size: 10, anchor: 0.5)
        }
        let named = rowNames ?? []
        for r in Swift.stride(from: 0, to: rows, by: named.isEmpty ? max(1, rows / 5) : 1)
        where r < max(yValues.count, named.count) {
            canvas.text(
                named.isEmpty ? String(format: "%.2f", yValues[r]) : named[r], x: left - 6,
                y: top + (Double(r) + 0.5) * cellH + 4, size: 10, anchor: 1)
        }
        canvas.text(
            xName, x: left + Double(columns) * cellW / 2, y: top + Double(rows) * cellH + 36, size: 12, anchor: 0.5)
        canvas.text(yName, x: 14, y: top + Double(rows) * cellH / 2, size: 12, anchor: 0.5, rotate: true)
        return try canvas.finish()
    }
}
