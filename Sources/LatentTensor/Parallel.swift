import Dispatch

/// Runs independent pieces of work on several threads at once and waits for all of them: the one place
/// Latent starts threads of its own (data-parallel training, sliced loops).
public enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, concurrently, and returns when all are done. The pieces
    /// must not write to the same memory.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            let box = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    }

    private struct Unchecked<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
}

/// A pointer handed to `Parallel.forEach` workers that write disjoint parts of its memory.
public struct SendablePointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
