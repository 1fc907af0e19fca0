import CFFTW
import Foundation
import LatentTensor

/// FFT-accelerated interpolation for t-SNE's repulsion (FIt-SNE, Linderman et al. 2019), for large n.
///
/// The embedding's bounding square is cut into `boxes × boxes` cells with `p` equispaced nodes per cell and
/// axis, so the nodes form one regular grid. Each point spreads four charges (1, y₁, y₂, ‖y‖²) onto the
/// nodes of its cell with Lagrange weights; the kernel K(d) = 1 / (1 + d²)² is convolved with the charges
/// over the grid by FFT (FFTW, zero-padded to twice the size); the potentials are interpolated back to the
/// points. From them: the repulsive force Σ_j K_ij (y_i − y_j) = y_i φ₀ − (φ₁, φ₂) and
/// Z = Σ_ij (1 + ‖y_i − y_j‖²) K_ij − n
///   = Σ_i (1 + ‖y_i‖²) φ₀ − 2 y_i·(φ₁, φ₂) + φ₃ − n.
final class InterpolationRepulsion {
    /// Interpolation nodes per cell and axis.
    let nodes: Int
    /// Cells per axis at least; more when the embedding is wider than one unit per cell.
    let minBoxes: Int

    private var grid = 0  // nodes per axis (boxes · nodes)
    private var real: [UnsafeMutablePointer<Double>] = []  // 4 charges + kernel, (2·grid)² each
    private var spectrum: [UnsafeMutablePointer<fftw_complex>] = []  // fftw_complex buffers, 2·grid × (grid + 1)
    private var capacity = 0
    private var plans: [Int: (forward: fftw_plan, inverse: fftw_plan)] = [:]
    private var box: [Int32] = []  // per point: cell column, cell row
    private var weights: [Double] = []  // per point: nodes weights along x, then along y

    init(nodes: Int = 3, minBoxes: Int = 50) {
        self.nodes = nodes
        self.minBoxes = minBoxes
    }

    deinit {
        for p in real { fftw_free(p) }
        for s in spectrum { fftw_free(s) }
        for (_, p) in plans {
            fftw_destroy_plan(p.forward)
            fftw_destroy_plan(p.inverse)
        }
    }

    /// Writes Σ_j w_ij² (y_i − y_j) into `forces` and returns Z. A numeric kernel kept whole (llm.c style):
    /// spread to the grid, FFT convolution, interpolate back, each stage a commented block over shared buffers.
    func repulsion(
        y: UnsafePointer<Float>, count n: Int, into forces: UnsafeMutablePointer<Float>, threads: Int
    ) -> Double {
        var lo = Float.infinity, hi = -Float.infinity
        for i in 0..<(2 * n) {
            lo = min(lo, y[i])
            hi = max(hi, y[i])
        }
        let extent = Double(hi - lo) + 1e-6
        let boxes = Self.smooth(max(minBoxes, Int(extent.rounded(.up))))
        let p = nodes
        prepare(grid: boxes * p)
        let g = grid, size = 2 * g
        let cell = extent / Double(boxes), spacing = cell / Double(p)
        let origin = Double(lo)

        // Cells and Lagrange weights of every point.
        if box.count != 2 * n {
            box = [Int32](repeating: 0, count: 2 * n)
            weights = [Double](repeating: 0, count: 2 * n * p)
        }
        let nodeAt = (0..<p).map { (Double($0) + 0.5) / Double(p) }
        for i in 0..<n {
            for axis in 0..<2 {
                let u = (Double(y[2 * i + axis]) - origin) / cell
                let b = min(max(Int(u), 0), boxes - 1)
                let t = u - Double(b)
                box[2 * i + axis] = Int32(b)
                for a in 0..<p {
                    var w = 1.0
                    for c in 0..<p where c != a { w *= (t - nodeAt[c]) / (nodeAt[a] - nodeAt[c]) }
                    weights[(2 * i + axis) * p + a] = w
                }
            }
        }

        // The kernel on the padded grid, wrapped so offsets −(g−1)…(g−1) sit where a circular
        // convolution wants them.
        let kernel = real[4]
        for a in 0..<size {
            let da = Double(a < g ? a : (a > g ? a - size : 0))
            for b in 0..<size {
                let db = Double(b < g ? b : (b > g ? b - size : 0))
                let d2 = spacing * spacing * (da * da + db * db)
                let k = 1 / (1 + d2)
                kernel[a * size + b] = (a == g || b == g) ? 0 : k * k
            }
        }
        let plan = plans[g]!
        fftw_execute_dft_r2c(plan.forward, kernel, spectrum[4])

        // Spread each charge, convolve, and leave the potentials in real[c] (scaled by 1/size²).
        let half = g + 1
        let spectra = spectrum.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self) }
        let channels = real.map { SendablePointer($0) }, spec = spectra.map { SendablePointer($0) }
        let yp = SendablePointer(UnsafeMutablePointer(mutating: y))
        return box.withUnsafeBufferPointer { boxp in
            weights.withUnsafeBufferPointer { wp in
                let workers = max(1, min(threads, 4))
                Parallel.forEach(workers) { w in
                    var c = w
                    while c < 4 {
                        let r = channels[c].pointer
                        r.update(repeating: 0, count: size * size)
                        for i in 0..<n {
                            let x0 = Double(yp.pointer[2 * i]), x1 = Double(yp.pointer[2 * i + 1])
                            let q: Double = c == 0 ? 1 : (c == 1 ? x0 : (c == 2 ? x1 : x0 * x0 + x1 * x1))
                            let gx = Int(boxp[2 * i]) * p, gy = Int(boxp[2 * i + 1]) * p
                            for a in 0..<p {
                                let wa = wp[(2 * i) * p + a] * q
                                let row = r + (gx + a) * size + gy
                                for b in 0..<p { row[b] += wa * wp[(2 * i + 1) * p + b] }
                            }
                        }
                        fftw_execute_dft_r2c(
                            plan.forward, r,
                            UnsafeMutableRawPointer(spec[c].pointer).assumingMemoryBound(to: fftw_complex.self))
                        let s = spec[c].pointer, k = spec[4].pointer
                        for e in 0..<(size * half) {
                            let re = s[2 * e] * k[2 * e] - s[2 * e + 1] * k[2 * e + 1]
                            let im = s[2 * e] * k[2 * e + 1] + s[2 * e + 1] * k[2 * e]
                            s[2 * e] = re
                            s[2 * e + 1] = im
                        }
                        fftw_execute_dft_c2r(
                            plan.inverse, UnsafeMutableRawPointer(s).assumingMemoryBound(to: fftw_complex.self), r)
                        c += workers
                    }
                }

                // Interpolate the potentials back to the points; forces and each point's share of Z.
                let scale = 1 / Double(size * size)
                let pw = max(1, min(threads, n / 256 + 1))
                var partial = [Double](repeating: 0, count: pw)
                partial.withUnsafeMutableBufferPointer { partial in
                    let part = SendablePointer(partial.baseAddress!), f = SendablePointer(forces)
                    Parallel.forEach(pw) { w in
                        var z = 0.0
                        for i in (n * w / pw)..<(n * (w + 1) / pw) {
                            var phi = SIMD4<Double>(repeating: 0)
                            let gx = Int(boxp[2 * i]) * p, gy = Int(boxp[2 * i + 1]) * p
                            for a in 0..<p {
                                let wa = wp[(2 * i) * p + a]
                                for b in 0..<p {
                                    let wab = wa * wp[(2 * i + 1) * p + b]
                                    let e = (gx + a) * size + gy + b
                                    phi +=
                                        wab
                                        * SIMD4(
                                            channels[0].pointer[e], channels[1].pointer[e], channels[2].pointer[e],
                                            channels[3].pointer[e])
                                }
                            }
                            phi *= scale
                            let x0 = Double(yp.pointer[2 * i]), x1 = Double(yp.pointer[2 * i + 1])
                            f.pointer[2 * i] = Float(x0 * phi[0] - phi[1])
                            f.pointer[2 * i + 1] = Float(x1 * phi[0] - phi[2])
                            z += (1 + x0 * x0 + x1 * x1) * phi[0] - 2 * (x0 * phi[1] + x1 * phi[2]) + phi[3]
                        }
                        part.pointer[w] = z
                    }
                }
                return partial.reduce(0, +) - Double(n)
            }
        }
    }

    /// Buffers and FFTW plans for a grid of `g` nodes per axis; buffers only grow, plans are kept per size.
    private func prepare(grid g: Int) {
        grid = g
        let size = 2 * g, realCount = size * size
        if realCount > capacity {
            for p in real { fftw_free(p) }
            for s in spectrum { fftw_free(s) }
            capacity = realCount * 2
            real = (0..<5).map { _ in fftw_alloc_real(capacity)! }
            spectrum = (0..<5).map { _ in fftw_alloc_complex(capacity)! }
            for (_, p) in plans {
                fftw_destroy_plan(p.forward)
                fftw_destroy_plan(p.inverse)
            }
            plans = [:]
        }
        if plans[g] == nil {
            let flags = UInt32(FFTW_ESTIMATE)
            let forward = fftw_plan_dft_r2c_2d(Int32(size), Int32(size), real[0], spectrum[0], flags)!
            let inverse = fftw_plan_dft_c2r_2d(Int32(size), Int32(size), spectrum[0], real[0], flags)!
            plans[g] = (forward, inverse)
        }
    }

    /// The smallest number ≥ n whose prime factors are 2, 3, 5 and 7 (sizes FFTW transforms fastest).
    static func smooth(_ n: Int) -> Int {
        var m = n
        while true {
            var r = m
            for f in [2, 3, 5, 7] { while r % f == 0 { r /= f } }
            if r == 1 { return m }
            m += 1
        }
    }
}
