import CBLAS
import CKernels

#if canImport(Glibc)
    import Glibc
#endif

/// Which of OpenBLAS's kernels run the products, and why. OpenBLAS picks them by the CPU's model number, and a
/// release older than the CPU does not know it: Debian 12's OpenBLAS 0.3.21 runs an Intel Xeon of family 6 model
/// 207 (Emerald Rapids, AVX-512) on its SSE3 "Prescott" kernels, a quarter of the speed its SkylakeX kernels
/// reach there (measured: the reference VAE's products 14,550 → 56,444 images/s on 2 threads). When the kernels
/// OpenBLAS chose use narrower vectors than the CPU runs, the ones for the CPU's vectors take their place, as a
/// newer OpenBLAS picks them for a model it does not know (by the CPU's features). `OPENBLAS_CORETYPE` set by the
/// user is left alone.
public struct BLASKernels: Sendable, Equatable {
    /// OpenBLAS's name of the kernels in use ("SkylakeX", "Haswell", "Zen", …).
    public let name: String
    /// OpenBLAS's own choice when it differs from `name` (the kernels were replaced), else nil.
    public let replaced: String?

    /// What the products run on, for reports: "SkylakeX" or "Cooperlake (OpenBLAS chose Prescott)".
    public var description: String { replaced.map { "\(name) (OpenBLAS chose \($0))" } ?? name }

    /// The widest vectors a set of OpenBLAS kernels uses (0 SSE, 1 AVX, 2 AVX2, 3 AVX-512); nil for a name not
    /// known here, which is never replaced.
    public static func vectorLevel(ofKernels name: String) -> Int? {
        switch name.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
            "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            0
        case "sandybridge", "bulldozer", "piledriver", "steamroller": 1
        case "haswell", "excavator", "zen": 2
        case "skylakex", "cooperlake", "sapphirerapids": 3
        default: nil
        }
    }

    /// The kernels for a CPU of `latent_cpu_vector_level()`'s level (as OpenBLAS picks them by features).
    public static func kernels(forCPULevel level: Int) -> String? {
        switch level {
        case 4...: "Cooperlake"
        case 3: "SkylakeX"
        case 2: "Haswell"
        case 1: "Sandybridge"
        default: nil
        }
    }

    /// The kernels to put in place of `chosen` on a CPU of `level`, or nil to keep OpenBLAS's choice.
    public static func replacement(for chosen: String, cpuLevel level: Int) -> String? {
        guard let have = vectorLevel(ofKernels: chosen), let want = kernels(forCPULevel: level),
            let wantLevel = vectorLevel(ofKernels: want), wantLevel > have
        else { return nil }
        return want
    }

    /// The widest vectors this CPU and its OS run: 0 SSE (or not x86), 1 AVX, 2 AVX2 with FMA, 3 AVX-512, 4 AVX-512
    /// with BF16.
    public static var cpuVectorLevel: Int { Int(latent_cpu_vector_level()) }

    /// The kernels in use, after the replacement (done once, before Latent's first product: `BLAS.gemm` and
    /// `BLAS.setThreads` ask for it).
    public static let current: BLASKernels = {
        let chosen = String(cString: openblas_get_corename())
        guard getenv("OPENBLAS_CORETYPE") == nil,
            let want = replacement(for: chosen, cpuLevel: cpuVectorLevel),
            let quit = symbol("gotoblas_dynamic_quit"), let initialize = symbol("gotoblas_dynamic_init")
        else { return BLASKernels(name: chosen, replaced: nil) }
        // OpenBLAS reads OPENBLAS_CORETYPE when it picks its kernels; after `quit` it picks them again.
        setenv("OPENBLAS_CORETYPE", want, 1)
        quit()
        initialize()
        unsetenv("OPENBLAS_CORETYPE")
        let now = String(cString: openblas_get_corename())
        return BLASKernels(name: now, replaced: now == chosen ? nil : chosen)
    }()

    /// A `void f(void)` OpenBLAS exports without declaring it (builds with DYNAMIC_ARCH, as Debian's), or nil.
    private static func symbol(_ name: String) -> (@convention(c) () -> Void)? {
        guard let address = dlsym(nil, name) else { return nil }
        return unsafeBitCast(address, to: (@convention(c) () -> Void).self)
    }
}
