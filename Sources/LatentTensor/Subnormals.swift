import CKernels

/// Training runs with subnormal floats (below 1.2e-38) flushed to zero, as TensorFlow's CPU kernels do: an Intel
/// core takes ~100 cycles for each operation on one, and they arise where a gradient fades (the RAE's decoder under
/// Adam and its weight penalty spent 40% of its step in matrix products slowed by them, on an Intel Xeon VM). No
/// result moves by such an amount: a value that small is below the last bit of anything it is added to.
public enum Subnormals {
    /// Whether the calling thread flushes subnormals now (x86: DAZ and FTZ set; elsewhere false).
    public static var flushing: Bool {
        #if arch(x86_64)
            return latent_float_mode() & 0x8040 == 0x8040
        #else
            return false
        #endif
    }

    /// Runs `body` with subnormals flushed to zero on the calling thread (x86; elsewhere as is), then restores the
    /// thread's previous mode. `Parallel.forEach` runs its pieces in the caller's mode, so work forked inside
    /// `body` flushes too, whichever thread runs it.
    @inline(__always)
    public static func flushed<T>(_ body: () throws -> T) rethrows -> T {
        let previous = latent_flush_subnormals()
        defer { latent_set_float_mode(previous) }
        return try body()
    }
}
