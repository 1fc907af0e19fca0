import CCairo
import Foundation

/// A plotting area on a canvas: data ranges mapped to a rectangle, with a frame, "nice" ticks, tick labels,
/// axis labels and a title.
public struct Axes {
    /// The canvas drawn on.
    public let canvas: Canvas
    /// The plotting rectangle in canvas units.
    public let left: Double, top: Double, width: Double, height: Double
    /// The data ranges the axes show.
    public let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    /// Whether x ticks fall on whole numbers only (epochs).
    public let integerX: Bool

    /// A layer with PyTorch's initialisation drawn from `rng`.
    public init(
        canvas: Canvas, left: Double, top: Double, width: Double, height: Double,
        x: ClosedRange<Double>, y: ClosedRange<Double>, integerX: Bool = false
    ) {
        self.canvas = canvas
        self.left = left
        self.top = top
        self.width = width
        self.height = height
        self.integerX = integerX
        xRange = x.lowerBound < x.upperBound ? x : (x.lowerBound - 1)...(x.upperBound + 1)
        yRange = y.lowerBound < y.upperBound ? y : (y.lowerBound - 1)...(y.upperBound + 1)
    }

    /// Data → canvas coordinates.
    public func point(_ x: Double, _ y: Double) -> (Double, Double) {
        (
            left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * width,
            top + height - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * height
        )
    }

    /// Tick positions at 1, 2 or 5 × 10^k spacing, about `count` of them.
    public static func ticks(_ range: ClosedRange<Double>, count: Int = 6, integer: Bool = false) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = integer ? max(1, span / Double(count)) : span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        // Integer multiples of the step, so rounding never drifts or drops an end tick.
        let first = Int(ceil(range.lowerBound / step - 1e-9)), last = Int(floor(range.upperBound / step + 1e-9))
        guard first <= last else { return [range.lowerBound] }
        return (first...last).map { Double($0) * step }
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        let s = String(format: "%.3g", v)
        return s
    }

    /// Frame, grid, ticks and labels.
    public func drawFrame(title: String, xLabel: String, yLabel: String) {
        let c = canvas
        c.color(RGB(0.92, 0.92, 0.92))
        let xTicks = Self.ticks(xRange, integer: integerX)
        for t in xTicks {
            let (x, _) = point(t, yRange.lowerBound)
            c.line(x, top, x, top + height, width: 0.8)
        }
        for t in Self.ticks(yRange) {
            let (_, y) = point(xRange.lowerBound, t)
            c.line(left, y, left + width, y, width: 0.8)
        }
        c.color(RGB(0.2, 0.2, 0.2))
        cairo_set_line_width(c.cr, 1.2)
        cairo_rectangle(c.cr, left, top, width, height)
        cairo_stroke(c.cr)
        for t in xTicks {
            let (x, _) = point(t, yRange.lowerBound)
            c.line(x, top + height, x, top + height + 4)
            c.text(Self.format(t), x: x, y: top + height + 17, size: 11, anchor: 0.5)
        }
        for t in Self.ticks(yRange) {
            let (_, y) = point(xRange.lowerBound, t)
            c.line(left - 4, y, left, y)
            c.text(Self.format(t), x: left - 7, y: y + 4, size: 11, anchor: 1)
        }
        c.text(title, x: left + width / 2, y: top - 12, size: 14, anchor: 0.5, bold: true)
        c.text(xLabel, x: left + width / 2, y: top + height + 38, size: 12, anchor: 0.5)
        c.text(yLabel, x: left - 48, y: top + height / 2, size: 12, anchor: 0.5, rotate: true)
    }

    /// Clips drawing to the plotting rectangle until `unclip()`.
    public func clip() {
        cairo_save(canvas.cr)
        cairo_rectangle(canvas.cr, left, top, width, height)
        cairo_clip(canvas.cr)
    }

    /// Ends clipping to the plot area.
    public func unclip() { cairo_restore(canvas.cr) }

    /// A legend box at the top right of the plotting area: a marker (or line) and a name per entry.
    public func drawLegend(_ entries: [(name: String, color: RGB)], lines: Bool = false) {
        guard !entries.isEmpty else { return }
        let c = canvas
        cairo_set_font_size(c.cr, 11)
        let rowHeight = 16.0
        var widest = 0.0
        for entry in entries {
            var e = cairo_text_extents_t()
            cairo_text_extents(c.cr, entry.name, &e)
            widest = max(widest, e.x_advance)
        }
        let boxWidth = 34 + widest
        let x0 = left + width - boxWidth - 8, y0 = top + 8
        c.color(RGB(1, 1, 1), alpha: 0.85)
        cairo_rectangle(c.cr, x0, y0, boxWidth, rowHeight * Double(entries.count) + 8)
        cairo_fill(c.cr)
        c.color(RGB(0.6, 0.6, 0.6))
        cairo_set_line_width(c.cr, 0.8)
        cairo_rectangle(c.cr, x0, y0, boxWidth, rowHeight * Double(entries.count) + 8)
        cairo_stroke(c.cr)
        for (i, entry) in entries.enumerated() {
            let y = y0 + 12 + Double(i) * rowHeight
            c.color(entry.color)
            if lines {
                c.line(x0 + 6, y, x0 + 24, y, width: 2.5)
            } else {
                cairo_arc(c.cr, x0 + 14, y, 4, 0, 2 * Double.pi)
                cairo_fill(c.cr)
            }
            c.color(RGB(0.1, 0.1, 0.1))
            c.text(entry.name, x: x0 + 28, y: y + 4, size: 11)
        }
    }
}
