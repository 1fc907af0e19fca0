import CKernels
import CSleef

/// Array-at-a-time transcendental functions through SLEEF (AVX2 where the CPU has it), because the
/// element-by-element libm calls cost several times more in the loss and activation kernels.
package enum VectorMath {
    /// `latent_cpu_vector_level()`: 2 and up takes SLEEF's AVX2 functions, 3 and up its AVX-512 ones.
    private static let simdLevel = Int(latent_cpu_vector_level())
    private static let avx2 = simdLevel >= 2

    /// y[i] = exp(x[i]); `x` and `y` may be the same buffer.
    package static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        avx2 ? latent_exp_avx2(x, y, n) : latent_exp_scalar(x, y, n)
    }
    /// y[i] = log(x[i]).
    package static func log(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        avx2 ? latent_log_avx2(x, y, n) : latent_log_scalar(x, y, n)
    }
    /// y[i] = log(1 + x[i]), accurate for small x.
    package static func log1p(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        avx2 ? latent_log1p_avx2(x, y, n) : latent_log1p_scalar(x, y, n)
    }
    /// log of one value (SLEEF scalar, same accuracy as the array form).
    package static func log(_ x: Float) -> Float { Sleef_logf_u10(x) }
    /// exp of one value.
    package static func exp(_ x: Float) -> Float { Sleef_expf_u10(x) }

    /// y[i] = tanh(x[i]).
    package static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        avx2 ? latent_tanh_avx2(x, y, n) : latent_tanh_scalar(x, y, n)
    }

    /// y[i] = 1 / (1 + exp(-x[i])), without overflow for large |x|; `x` and `y` may be the same buffer.
    package static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        // exp(-|x|) ≤ 1 never overflows; sigmoid(x) = 1/(1+e) for x ≥ 0 and e/(1+e) below.
        inBlocks(n) { start, len, e in
            let a = x + start, b = y + start
            for i in 0..<len { e[i] = -Swift.abs(a[i]) }
            exp(e, e, len)
            for i in 0..<len {
                let r = 1 / (1 + e[i])
                b[i] = a[i] >= 0 ? r : e[i] * r
            }
        }
    }

    /// Calls `body(start, count, scratch)` for consecutive blocks of at most 256 of n elements, with a stack
    /// buffer of 256 floats: for elementwise functions that need a temporary and may run in place. 1 KB is
    /// the size Swift always places on the stack; above it, off the main thread, it falls back to malloc.
    @inline(__always)
    static func inBlocks(_ n: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let block = 256
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { t in
            var start = 0
            while start < n {
                let len = Swift.min(block, n - start)
                body(start, len, t.baseAddress!)
                start += len
            }
        }
    }

    /// Σ BCE(sigmoid(x), t) over n elements in the stable form max(x, 0) − x·t + log(1 + e^(−|x|)) (never exp
    /// of a large positive number, never log 0), accumulated in double precision; if `gradient` is given,
    /// sigmoid(x) − t is written there from the same e^(−|x|). One pass in C (CSleef's shim), AVX-512 or AVX2
    /// where the CPU has them.
    package static func binaryCrossEntropyWithLogits(
        _ x: UnsafePointer<Float>, targets t: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?, _ n: Int
    ) -> Double {
        switch simdLevel {
        case 3...: latent_bce_logits_avx512(x, t, gradient, n)
        case 2: latent_bce_logits_avx2(x, t, gradient, n)
        default: latent_bce_logits_scalar(x, t, gradient, n)
        }
    }

    /// out (+)= tᵀ for t of shape [rows, columns] (out is [columns, rows]), in 8x8 register blocks.
    package static func transpose(
        _ t: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        latent_transpose(t, rows, columns, out, accumulate ? 1 : 0)
    }

    /// y[i] += x[i] for n elements, eight at a time.
    package static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        while j + 8 <= n {
            store8(load8(y + j) + load8(x + j), y + j)
            j += 8
        }
        while j < n {
            y[j] += x[j]
            j += 1
        }
    }

    /// Sum of n floats, accumulated in double precision (loss sums over ~10^5 terms).
    package static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= n {
            s0 += Double(x[i])
            s1 += Double(x[i + 1])
            s2 += Double(x[i + 2])
            s3 += Double(x[i + 3])
            i += 4
        }
        while i < n {
            s0 += Double(x[i])
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// The first index j of the smallest a[j] − s·b[j] over n > 0 elements (a nearest codebook entry from its
    /// squared norms and products), eight lanes at a time.
    package static func argmin(
        _ a: UnsafePointer<Float>, minus s: Float, times b: UnsafePointer<Float>, _ n: Int
    ) -> Int {
        precondition(n > 0, "argmin of no elements")
        var j = 0
        if n >= 8 {
            var best = load8(a) - s * load8(b)
            var index = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
            var lanes = index &+ 8
            j = 8
            while j + 8 <= n {
                let value = load8(a + j) - s * load8(b + j)
                let smaller = value .< best
                best.replace(with: value, where: smaller)
                index.replace(with: lanes, where: smaller)
                lanes &+= 8
                j += 8
            }
            var (first, smallest) = (Int(index[0]), best[0])
            for l in 1..<8 where best[l] < smallest || (best[l] == smallest && Int(index[l]) < first) {
                (first, smallest) = (Int(index[l]), best[l])
            }
            while j < n {
                let value = a[j] - s * b[j]
                if value < smallest { (first, smallest) = (j, value) }
                j += 1
            }
            return first
        }
        var (first, smallest) = (0, a[0] - s * b[0])
        for k in 1..<n where a[k] - s * b[k] < smallest { (first, smallest) = (k, a[k] - s * b[k]) }
        return first
    }
}
