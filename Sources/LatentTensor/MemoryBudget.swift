#if canImport(Glibc)
    import Glibc
#endif

/// Refuses work that cannot fit in memory before anything is allocated, with an estimate the user can act on
/// ("this model needs ~40 GB; the machine has 24 GB"), instead of a failed allocation or the kernel's OOM
/// killer. The budget is the machine's physical memory.
public enum MemoryBudget {
    /// Physical memory in bytes (`sysconf`), or nil where it cannot be read.
    public static var machineBytes: Double? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return Double(pages) * Double(size)
    }

    /// Input values an evaluation or decoding pass takes at once (500 MNIST digits, 32 pictures of 64 x 64 x 3),
    /// so a pass's activations stay within a few hundred MB whatever the picture size.
    public static let valuesPerPass = 400_000

    /// The examples of `features` values each that make one such pass (at least one).
    public static func examplesPerPass(features: Int) -> Int { max(1, valuesPerPass / max(features, 1)) }

    /// Throws if `bytes` (an estimate, so a Double: sizes may overflow Int) exceed the machine's memory.
    /// `what` names the work ("this model", "64000000 samples"); `field` the property that sets its size.
    public static func check(_ bytes: Double, for what: String, domain: LatentError.Domain, field: String?) throws {
        guard let machine = machineBytes, bytes > machine || !bytes.isFinite else { return }
        throw LatentError(domain, field: field, "\(what) needs ~\(format(bytes)); the machine has \(format(machine))")
    }

    /// "40 GB", "512 MB".
    public static func format(_ bytes: Double) -> String {
        guard bytes.isFinite, bytes < 1e18 else { return "more than an exabyte" }
        if bytes >= 1e9 { return "\(Int((bytes / 1e9).rounded())) GB" }
        return "\(Int((bytes / 1e6).rounded())) MB"
    }
}
