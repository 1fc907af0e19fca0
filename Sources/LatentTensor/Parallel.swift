import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs independent pieces of work on several threads at once and waits for all of them: the one place
/// Latent starts threads of its own (data-parallel training, sliced loops).
package enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, concurrently, and returns when all are done. The pieces
    /// must not write to the same memory. Piece 0 runs on the calling thread, the others on long-lived
    /// helper threads, so a training step's fork and join allocate nothing; a call made while the helpers
    /// are busy (from inside another `forEach`) goes to Dispatch instead.
    package static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 {
            body(0)
            return
        }
        if WorkerPool.shared.run(count, body) { return }
        withoutActuallyEscaping(body) { body in
            let box = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    }

    /// `work.runPiece(i)` for every i in 0..<count, concurrently. For the per-step forks of training:
    /// handing the helpers an object instead of a closure allocates nothing (a closure crossing to
    /// another thread is boxed on the heap).
    package static func forEach(_ count: Int, _ work: some ParallelWork) {
        if count == 1 {
            work.runPiece(0)
            return
        }
        if WorkerPool.shared.run(count, work: work) { return }
        let box = Unchecked(work)
        DispatchQueue.concurrentPerform(iterations: count) { box.value.runPiece($0) }
    }
}

/// Work split into independent pieces, as an object (see `Parallel.forEach(_:_:)`).
package protocol ParallelWork: AnyObject {
    /// Runs piece `i`; pieces must not write to the same memory.
    func runPiece(_ i: Int)
}

struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Helper threads started once and woken by semaphores for each `Parallel.forEach`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// One helper thread: it waits for `start`, runs its piece of the work, signals `done`.
    final class Helper: @unchecked Sendable {
        let start = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        /// A plain function-typed property, not an Optional: storing into an Optional would wrap the
        /// closure in a reabstraction thunk.
        var job: (Int) -> Void = WorkerPool.idle
        var work: (any ParallelWork)?
        var index = 0

        func loop() {
            while true {
                start.wait()
                if let work { work.runPiece(index) } else { job(index) }
                done.signal()
            }
        }
    }

    nonisolated(unsafe) static let idle: (Int) -> Void = { _ in }
    private let busy = Atomic<Bool>(false)
    private var helpers: [Helper] = []

    /// Runs the pieces of `work` on the pool; false (and nothing run) if the pool is in use.
    func run(_ count: Int, work: any ParallelWork) -> Bool {
        guard acquire(count) else { return false }
        defer { busy.store(false, ordering: .releasing) }
        for i in 1..<count {
            helpers[i - 1].work = work
            start(i)
        }
        work.runPiece(0)
        for i in 1..<count {
            helpers[i - 1].done.wait()
            helpers[i - 1].work = nil
        }
        return true
    }

    /// Runs the pieces of `body` on the pool; false (and nothing run) if the pool is in use.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard acquire(count) else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            for i in 1..<count {
                helpers[i - 1].job = body
                start(i)
            }
            body(0)
            for i in 1..<count {
                helpers[i - 1].done.wait()
                helpers[i - 1].job = WorkerPool.idle
            }
        }
        return true
    }

    /// Takes the pool (with at least count − 1 helpers) if nobody else has it.
    private func acquire(_ count: Int) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        while helpers.count < count - 1 { helpers.append(Self.startHelper()) }
        return true
    }

    private func start(_ i: Int) {
        helpers[i - 1].index = i
        helpers[i - 1].start.signal()
    }

    private static func startHelper() -> Helper {
        let helper = Helper()
        var thread = pthread_t()
        let context = Unmanaged.passRetained(helper).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Helper>.fromOpaque(context!).takeUnretainedValue().loop()
                return nil
            }, context)
        precondition(rc == 0, "could not start a worker thread (pthread_create returned \(rc))")
        pthread_detach(thread)
        return helper
    }
}

/// A pointer handed to `Parallel.forEach` workers that write disjoint parts of its memory.
package struct SendablePointer<T>: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<T>
    package init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
