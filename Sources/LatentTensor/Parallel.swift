import CKernels
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs independent pieces of work on several threads at once and waits for all of them: the one place
/// Latent starts threads of its own (data-parallel training, sliced loops).
package enum Parallel {
    /// Calls `body(i)` for every i in 0..<count, each on a thread of its own, all at once, and returns when all
    /// are done. The pieces must not write to the same memory; they may wait for each other (a `SpinBarrier`),
    /// since every piece has its thread. Piece 0 runs on the calling thread, the others on long-lived helper
    /// threads, so a training step's fork and join allocate nothing. Every piece runs in the calling thread's
    /// floating-point mode (`Subnormals`).
    package static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 {
            body(0)
            return
        }
        WorkerPool.shared.run(count, body)
    }

    /// `work.runPiece(i)` for every i in 0..<count, as `forEach(_:_:)`. For the per-step forks of training:
    /// handing the helpers an object instead of a closure allocates nothing (a closure crossing to
    /// another thread is boxed on the heap).
    package static func forEach(_ count: Int, _ work: some ParallelWork) {
        if count == 1 {
            work.runPiece(0)
            return
        }
        WorkerPool.shared.run(count, work: work)
    }
}

/// Work split into independent pieces, as an object (see `Parallel.forEach(_:_:)`).
package protocol ParallelWork: AnyObject {
    /// Runs piece `i`; pieces must not write to the same memory.
    func runPiece(_ i: Int)
}

/// Helper threads started on demand, kept idle between calls, and woken by `WakeEvent`s. Each call takes helpers
/// of its own, so calls from several threads at once (tests, a server's requests, a piece that forks again) each
/// get every piece its own thread: pieces that wait for each other can never wait for a piece that has no thread.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// One helper thread: it waits for `start`, runs its piece of the work, signals `done`.
    final class Helper: @unchecked Sendable {
        let start = WakeEvent()
        let done = WakeEvent()
        /// A plain function-typed property, not an Optional: storing into an Optional would wrap the
        /// closure in a reabstraction thunk.
        var job: (Int) -> Void = WorkerPool.idleJob
        var work: (any ParallelWork)?
        var index = 0
        /// The floating-point mode of the thread that handed out the piece (`latent_float_mode`).
        var floatMode: UInt32 = 0
        /// How long to poll for the next piece before sleeping (see `SpinWait.pollNanoseconds(_:threads:)`).
        var pollNanoseconds = 0

        func loop() {
            var poll = 0
            while true {
                start.wait(pollNanoseconds: poll)
                latent_set_float_mode(floatMode)
                if let work { work.runPiece(index) } else { job(index) }
                poll = pollNanoseconds
                done.signal()
            }
        }
    }

    nonisolated(unsafe) static let idleJob: (Int) -> Void = { _ in }
    /// Helpers not in use (with room reserved, so taking and returning them allocates nothing).
    private let idle = Mutex<[Helper]>(
        {
            var helpers: [Helper] = []
            helpers.reserveCapacity(64)
            return helpers
        }())

    /// Runs the pieces of `work`, piece 0 on this thread.
    func run(_ count: Int, work: any ParallelWork) {
        let poll = SpinWait.pollNanoseconds(WakeEvent.pollNanoseconds, threads: count)
        let mode = latent_float_mode()
        withHelpers(count - 1) { helpers in
            for (i, helper) in helpers.enumerated() {
                helper.work = work
                helper.index = i + 1
                helper.pollNanoseconds = poll
                helper.floatMode = mode
                helper.start.signal()
            }
            work.runPiece(0)
            for helper in helpers {
                helper.done.wait(pollNanoseconds: poll)
                helper.work = nil
            }
        }
    }

    /// Runs the pieces of `body`, piece 0 on this thread.
    func run(_ count: Int, _ body: (Int) -> Void) {
        let poll = SpinWait.pollNanoseconds(WakeEvent.pollNanoseconds, threads: count)
        let mode = latent_float_mode()
        withoutActuallyEscaping(body) { body in
            withHelpers(count - 1) { helpers in
                for (i, helper) in helpers.enumerated() {
                    helper.job = body
                    helper.index = i + 1
                    helper.pollNanoseconds = poll
                    helper.floatMode = mode
                    helper.start.signal()
                }
                body(0)
                for helper in helpers {
                    helper.done.wait(pollNanoseconds: poll)
                    helper.job = WorkerPool.idleJob
                }
            }
        }
    }

    /// `count` helpers for the duration of `body`: idle ones, or new ones started.
    private func withHelpers(_ count: Int, _ body: (UnsafeMutableBufferPointer<Helper>) -> Void) {
        withUnsafeTemporaryAllocation(of: Helper.self, capacity: count) { helpers in
            idle.withLock { list in
                for i in 0..<count { (helpers.baseAddress! + i).initialize(to: list.popLast() ?? Self.startHelper()) }
            }
            body(helpers)
            idle.withLock { list in
                for i in 0..<count { list.append((helpers.baseAddress! + i).move()) }
            }
        }
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
