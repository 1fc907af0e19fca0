import Foundation
import LatentTensor

/// The heap-allocation counters of ordo-one's malloc interposer (libMallocInterposerSwift.so), found at run
/// time when the library is preloaded, so Latent need not link it.
public struct AllocationCounter {
    typealias Toggle = @convention(c) () -> Void
    typealias Stats =
        @convention(c) (
            UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?,
            UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?
        ) -> Void
    let enable: Toggle, disable: Toggle, reset: Toggle, stats: Stats

    /// Finds the interposer's functions; throws if it is not preloaded.
    public init() throws {
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                throw LatentError(
                    .training,
                    "the malloc interposer is not loaded; run through Scripts/count_allocations.sh "
                        + "(it builds libMallocInterposerSwift.so and sets LD_PRELOAD)")
            }
            return p
        }
        enable = unsafeBitCast(try symbol("malloc_interposer_enable"), to: Toggle.self)
        disable = unsafeBitCast(try symbol("malloc_interposer_disable"), to: Toggle.self)
        reset = unsafeBitCast(try symbol("malloc_interposer_reset"), to: Toggle.self)
        stats = unsafeBitCast(try symbol("malloc_interposer_get_stats"), to: Stats.self)
    }

    /// Starts counting from zero.
    public func start() {
        reset()
        enable()
    }

    /// Stops counting; returns the allocations and bytes since `start`.
    public func stop() -> (count: Int64, bytes: Int64) {
        disable()
        var count: Int64 = 0, bytes: Int64 = 0, small: Int64 = 0, large: Int64 = 0, frees: Int64 = 0, freed: Int64 = 0
        stats(&count, &bytes, &small, &large, &frees, &freed)
        return (count, bytes)
    }
}

/// Peak resident set size of this process so far, in MB (getrusage).
public func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
