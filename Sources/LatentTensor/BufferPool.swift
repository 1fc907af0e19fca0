import Synchronization

/// Recycles tensor buffers by exact element count, so a training step that makes the same tensors every
/// time reuses last step's memory instead of going back to malloc (and the kernel's page faults).
final class BufferPool: Sendable {
    static let shared = BufferPool()

    /// Bytes the pool may hold on to while nobody uses them.
    private static let capacityBytes = 512 << 20
    private struct State: ~Copyable {
        var free: [Int: [UInt]] = [:]  // addresses, so the state stays Sendable
        var bytes = 0
    }
    private let state = Mutex(State())

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        let reused = state.withLock { s -> UInt in
            guard let p = s.free[n]?.popLast() else { return 0 }
            s.bytes -= n * 4
            return p
        }
        if reused != 0 { return UnsafeMutablePointer<Float>(bitPattern: reused)! }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let n = max(count, 1)
        let address = UInt(bitPattern: pointer)
        let kept = state.withLock { s -> Bool in
            guard s.bytes + n * 4 <= BufferPool.capacityBytes else { return false }
            s.free[n, default: []].append(address)
            s.bytes += n * 4
            return true
        }
        if !kept { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}
