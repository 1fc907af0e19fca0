import CCairo
import Foundation
import LatentTensor

/// dSprites (Matthey et al. 2017), drawn rather than downloaded: every combination of 3 shapes (square,
/// ellipse, heart) × 6 scales (0.5 … 1) × 40 orientations (0 … 2π, both ends included, as published) × 32 × 32
/// positions (0 … 1) — the published grid, 737,280 binary 64 × 64 images — with each image's factor labels, in
/// the published order (shape slowest, y fastest). The drawing itself is Latent's (the published file's code is not
/// public): at scale 1 the square's side is 16 pixels, the ellipse's axes 18 × 9, the heart 16 wide; positions
/// 0 … 1 put the shape's centre at pixels 12 … 52, so no shape leaves the canvas. Drawn with Cairo without
/// antialiasing (a pixel is on when its centre is inside the shape). Every tenth image (index 0, 10, …) is the
/// test split, the rest the training split. The colour variant paints each sprite in its own colour, uniform in
/// [0.5, 1]³ (as disentanglement_lib's colour dSprites), fixed by the image's index; colour is not a factor.
public enum DSprites {
    /// The names `DataSource` knows this dataset by.
    public static let names = ["dsprites", "dsprites-colour"]
    /// The shapes, in label order (the class label is the shape).
    public static let shapes = ["square", "ellipse", "heart"]
    /// The factors, in the published order.
    public static let factorNames = ["shape", "scale", "orientation", "x", "y"]
    /// How many values each factor takes.
    public static let factorSizes = [3, 6, 40, 32, 32]
    /// Images in the grid.
    public static let count = 737_280
    /// The canvas's side in pixels.
    public static let side = 64

    /// The value of factor `f` at index `i`: the shape's number; the scale 0.5 + 0.1·i; the orientation
    /// 2π·i/39; the position i/31.
    public static func value(factor f: Int, index i: Int) -> Double {
        switch f {
        case 0: Double(i)
        case 1: 0.5 + 0.5 * Double(i) / 5
        case 2: 2 * Double.pi * Double(i) / 39
        default: Double(i) / 31
        }
    }

    /// The factor indices of image `n` of the grid.
    public static func factors(of n: Int) -> [Int] {
        var rest = n, out = [Int](repeating: 0, count: factorSizes.count)
        for f in factorSizes.indices.reversed() {
            out[f] = rest % factorSizes[f]
            rest /= factorSizes[f]
        }
        return out
    }

    /// The grid's images of `split` (every tenth is the test split), grey or in colour; `progress(done, total)`
    /// hears the drawing's progress.
    public static func load(
        _ split: Split, colour: Bool = false, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Dataset {
        let images = (0..<count).filter { ($0 % 10 == 0) == (split == .test) }
        let channels = colour ? 3 : 1, size = side * side * channels
        let name = (colour ? "dsprites-colour-" : "dsprites-") + split.rawValue
        try MemoryBudget.check(Double(images.count * size), for: name, domain: .data, field: "dataset")
        var pixels = [UInt8](repeating: 0, count: images.count * size)
        let threads = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 8)
        let chunk = 4096
        var failed = false
        pixels.withUnsafeMutableBufferPointer { out in
            let base = SendablePointer(out.baseAddress!)
            var next = 0
            while next < images.count {
                let upper = min(next + chunk * threads, images.count), start = next
                let ok = UnsafeMutableBufferPointer<Bool>.allocate(capacity: threads)
                ok.initialize(repeating: true)
                defer { ok.deallocate() }
                Parallel.forEach(threads) { t in
                    let lo = start + t * chunk, hi = min(lo + chunk, upper)
                    guard lo < hi else { return }
                    guard let painter = Painter() else {
                        ok[t] = false
                        return
                    }
                    for i in lo..<hi { painter.draw(images[i], colour: colour, into: base.pointer + i * size) }
                }
                if ok.contains(false) { failed = true }
                next = upper
                progress(next, images.count)
            }
        }
        if failed { throw LatentError(.data, field: "dataset", "dsprites: Cairo could not make a 64x64 surface") }
        let indices = images.flatMap { factors(of: $0).map(UInt8.init) }
        var data = try Dataset(
            name: name, pixels: pixels, labels: images.map { UInt8($0 / (count / 3)) }, height: side, width: side,
            channels: channels)
        data.classNames = shapes
        data.factors = FactorLabels(names: factorNames, sizes: factorSizes, indices: indices)
        return data
    }

    /// One thread's Cairo surface (an 8-bit mask) and context.
    private final class Painter {
        let surface: OpaquePointer, cr: OpaquePointer

        init?() {
            guard let s = cairo_image_surface_create(CAIRO_FORMAT_A8, Int32(side), Int32(side)),
                cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, let c = cairo_create(s)
            else { return nil }
            (surface, cr) = (s, c)
            cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
        }

        deinit {
            cairo_destroy(cr)
            cairo_surface_destroy(surface)
        }

        /// Image `n` into `out` (side² bytes, or ×3 interleaved RGB in colour).
        func draw(_ n: Int, colour: Bool, into out: UnsafeMutablePointer<UInt8>) {
            let f = factors(of: n)
            cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR)
            cairo_paint(cr)
            cairo_set_operator(cr, CAIRO_OPERATOR_OVER)
            cairo_identity_matrix(cr)
            cairo_translate(cr, 12 + 40 * value(factor: 3, index: f[3]), 12 + 40 * value(factor: 4, index: f[4]))
            cairo_rotate(cr, -value(factor: 2, index: f[2]))
            let unit = 16 * value(factor: 1, index: f[1])
            cairo_scale(cr, unit, unit)
            cairo_new_path(cr)
            switch f[0] {
            case 0: cairo_rectangle(cr, -0.5, -0.5, 1, 1)
            case 1:
                cairo_save(cr)
                cairo_scale(cr, 0.5625, 0.28125)
                cairo_arc(cr, 0, 0, 1, 0, 2 * Double.pi)
                cairo_restore(cr)
            default: Self.heart(cr)
            }
            cairo_fill(cr)
            cairo_surface_flush(surface)
            let stride = Int(cairo_image_surface_get_stride(surface))
            let mask = cairo_image_surface_get_data(surface)!
            let tint = colour ? Self.tint(n) : (255, 255, 255)
            for y in 0..<side {
                for x in 0..<side {
                    let on = mask[y * stride + x] >= 128
                    if colour {
                        let o = out + (y * side + x) * 3
                        (o[0], o[1], o[2]) = on ? tint : (0, 0, 0)
                    } else {
                        out[y * side + x] = on ? 255 : 0
                    }
                }
            }
        }

        /// The heart curve x = ½ sin³t, y = −(13 cos t − 5 cos 2t − 2 cos 3t − cos 4t) / 32 in 96 segments,
        /// 1 wide and centred on its bounding box (the point at the bottom: y grows downwards on the canvas).
        static func heart(_ cr: OpaquePointer) {
            let steps = 96
            for k in 0..<steps {
                let t = 2 * Double.pi * Double(k) / Double(steps)
                let s = sin(t)
                let x = 0.5 * s * s * s
                let y = -(13 * cos(t) - 5 * cos(2 * t) - 2 * cos(3 * t) - cos(4 * t)) / 32 + 0.078125
                if k == 0 { cairo_move_to(cr, x, y) } else { cairo_line_to(cr, x, y) }
            }
            cairo_close_path(cr)
        }

        /// Image `n`'s colour, uniform in [0.5, 1]³ (128 … 255), from a generator seeded by `n` alone.
        static func tint(_ n: Int) -> (UInt8, UInt8, UInt8) {
            var rng = RandomGenerator(seed: UInt64(n), stream: 0x6453_7072)
            func channel() -> UInt8 { UInt8(min(255, 128 + Int(rng.uniform() * 128))) }
            return (channel(), channel(), channel())
        }
    }
}
