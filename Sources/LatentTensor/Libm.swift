#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scalar libm functions under one name, for the few places that need them outside array kernels.
enum _LatentLibm {
    @inline(__always) static func log(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.log(x)
        #else
            Darwin.log(x)
        #endif
    }
    @inline(__always) static func exp(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.exp(x)
        #else
            Darwin.exp(x)
        #endif
    }
    @inline(__always) static func sin(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.sin(x)
        #else
            Darwin.sin(x)
        #endif
    }
    @inline(__always) static func cos(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.cos(x)
        #else
            Darwin.cos(x)
        #endif
    }
}
