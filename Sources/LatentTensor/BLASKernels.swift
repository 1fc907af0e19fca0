import CBLAS
import CKernels

/// Which of OpenBLAS's kernels run the products, and why. OpenBLAS picks them by the CPU's model number, and a
/// release older than the CPU does not know it: Debian 12's OpenBLAS 0.3.21 runs an Intel Xeon of family 6 model
/// 207 (Emerald Rapids, AVX-512) on its SSE3 "Prescott" kernels, a quarter of the speed its SkylakeX kernels
/// reach there (measured: the reference VAE's products 14,550 → 56,444 images/s on 2 threads). When the kernels
/// OpenBLAS chose use narrower vectors than the CPU runs, the ones for the CPU's vectors take their place, as a
/// newer OpenBLAS picks them for a model it does not know (by the CPU's features). CKernels does that when the
/// program is loaded, before any thread can multiply (`latent_blas_match_cpu`); `OPENBLAS_CORETYPE` set by the
/// user is left alone.
public struct BLASKernels: Sendable, Equatable, CustomStringConvertible {
    /// OpenBLAS's name of the kernels in use ("SkylakeX", "Haswell", "Zen", …).
    public let name: String
    /// OpenBLAS's own choice when it differs from `name` (the kernels were replaced), else nil.
    public let replaced: String?

    /// What the products run on, for reports: "SkylakeX" or "SkylakeX (OpenBLAS chose Prescott)".
    public var description: String { replaced.map { "\(name) (OpenBLAS chose \($0))" } ?? name }

    /// The widest vectors this CPU and its OS run: 0 SSE (or not x86), 1 AVX, 2 AVX2 with FMA, 3 AVX-512, 4 AVX-512
    /// with BF16.
    public static var cpuVectorLevel: Int { Int(latent_cpu_vector_level()) }

    /// The kernels to put in place of OpenBLAS's choice `chosen` on a CPU of `cpuLevel` (`cpuVectorLevel`), or nil
    /// to keep it: the rule applied when the program is loaded.
    public static func replacement(for chosen: String, cpuLevel: Int) -> String? {
        latent_blas_replacement(chosen, Int32(cpuLevel)).map { String(cString: $0) }
    }

    /// The kernels in use.
    public static var current: BLASKernels {
        BLASKernels(
            name: String(cString: openblas_get_corename()), replaced: latent_blas_replaced().map { String(cString: $0) }
        )
    }
}
