import CBLAS

/// Matrix products, all through OpenBLAS's `cblas_sgemm`. Transposed operands are passed to BLAS as flags,
/// never copied.
extension Tensor {
    /// C = alpha · op(A) · op(B) + beta · C, with op(X) = Xᵀ when the flag says so. A, B, C are rank-2.
    public static func gemm(
        _ a: Tensor, transposeA: Bool = false, _ b: Tensor, transposeB: Bool = false,
        into c: Tensor, alpha: Float = 1, beta: Float = 0
    ) {
        precondition(a.shape.rank == 2 && b.shape.rank == 2 && c.shape.rank == 2, "gemm needs rank-2 tensors")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(
            k == kb && c.shape[0] == m && c.shape[1] == n,
            "gemm shapes: op(A) \(m)x\(k), op(B) \(kb)x\(n), C \(c.shape)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.fill(0) } else { c.scale(by: beta) }
            return
        }
        BLAS.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a.data, lda: a.shape[1], b.data, ldb: b.shape[1], beta: beta, c.data, ldc: n)
    }

    /// op(A) · op(B) into a new tensor.
    public static func matmul(_ a: Tensor, transposeA: Bool = false, _ b: Tensor, transposeB: Bool = false) -> Tensor {
        let m = transposeA ? a.shape[1] : a.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        let c = Tensor(uninitialized: [m, n])
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: c)
        return c
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// OpenBLAS's thread pool: the knob that matters most for speed on small machines.
package enum BLAS {
    /// How long OpenBLAS's idle workers spin before sleeping, as log2 of CPU cycles. OpenBLAS's default (28,
    /// ~0.1 s) keeps the workers spinning through all the non-BLAS work of a training step, which on a
    /// 2-core machine takes the core from the thread doing that work (measured: 14k → 22k images/s for
    /// the reference VAE). 2^20 cycles (~0.3 ms) spans the gap between consecutive products in a step.
    package static let defaultThreadTimeout = 20

    /// Sets the number of threads OpenBLAS uses for every following product, and (unless the user set
    /// OPENBLAS_THREAD_TIMEOUT) shortens the workers' spin time to `defaultThreadTimeout`. The spin time takes
    /// a restart of OpenBLAS's pool, which hangs if another thread is multiplying meanwhile: it is done only
    /// from the main thread (the command-line tool, before any work), never from a library caller's threads.
    package static func setThreads(_ n: Int) {
        if getenv("OPENBLAS_THREAD_TIMEOUT") == nil && onMainThread {
            setenv("OPENBLAS_THREAD_TIMEOUT", String(defaultThreadTimeout), 1)
            openblas_read_env()
            _ = blas_thread_shutdown_()  // restarted on the next threaded call, with the new timeout
        }
        // Changing OpenBLAS's thread count while another thread multiplies is a race (tests run in parallel):
        // only change it when it differs.
        guard openblas_get_num_threads() != Int32(n) else { return }
        openblas_set_num_threads(Int32(n))
    }

    /// Whether the caller is the process's main thread (Linux: /proc/thread-self is PID/task/TID, TID = PID).
    private static var onMainThread: Bool {
        var buffer = [CChar](repeating: 0, count: 64)
        guard readlink("/proc/thread-self", &buffer, 63) > 0 else { return false }
        let parts = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: "/")
        return parts.count == 3 && parts[0] == parts[2]
    }

    /// C = alpha · op(A) · op(B) + beta · C on raw row-major storage (m×k times k×n into m×n, leading
    /// dimensions given): for planned steps that work on slices of preallocated buffers.
    @inline(__always)
    package static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The number of threads OpenBLAS uses now.
    package static var threads: Int { Int(openblas_get_num_threads()) }
}
