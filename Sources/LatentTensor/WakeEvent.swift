import CKernels
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Polling with the CPU's spin-wait hint, for a bounded time: the waits of one training step's threads are short,
/// and a thread that sleeps instead pays for being woken (measured on a 2-vCPU KVM: ~30 µs a wake).
package enum SpinWait {
    /// Polls `done` with the spin-wait hint between polls, for up to `nanoseconds`; whether it became true.
    @inline(__always)
    package static func poll(forNanoseconds nanoseconds: Int, until done: () -> Bool) -> Bool {
        if done() { return true }
        let start = now()
        while true {
            for _ in 0..<64 {
                latent_spin_pause()
                if done() { return true }
            }
            if now() - start > nanoseconds { return false }
        }
    }

    /// The CPUs this process may run on (its affinity mask: `taskset`, a container's cpuset), read once. Threads
    /// that wait for more threads than there are CPUs must not poll: the thread they wait for may need the CPU.
    package static let cores = Int(latent_affinity_cpu_count())

    /// How long a thread of a group of `threads` should poll: `nanoseconds`, or 0 if the group outnumbers the CPUs.
    package static func pollNanoseconds(_ nanoseconds: Int, threads: Int) -> Int {
        threads <= cores ? nanoseconds : 0
    }

    /// The monotonic clock, in nanoseconds (a vDSO call, no system call).
    @inline(__always)
    static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }
}

/// A signal from one thread to one waiting thread, used once per wait: how the worker pool starts a helper on its
/// piece and learns it is done. The waiter polls for a while before it sleeps, so the fork and the join of a
/// training step do not each pay for waking a sleeping thread.
package final class WakeEvent: @unchecked Sendable {
    /// How long `wait` polls before it sleeps, unless told otherwise: longer than the gap between two training
    /// steps' forks.
    package static let pollNanoseconds = 200_000

    private static let idle = 0, signalled = 1, asleep = -1
    private let state = Atomic<Int>(0)
    private let semaphore = DispatchSemaphore(value: 0)

    package init() {}

    /// Wakes the waiter (or lets its next `wait` return at once).
    package func signal() {
        if state.exchange(Self.signalled, ordering: .acquiringAndReleasing) == Self.asleep { semaphore.signal() }
    }

    /// Returns once `signal` has been called, and readies the event for the next signal; polls for up to
    /// `pollNanoseconds` before it sleeps.
    package func wait(pollNanoseconds: Int = WakeEvent.pollNanoseconds) {
        let signalled =
            pollNanoseconds > 0
            && SpinWait.poll(forNanoseconds: pollNanoseconds) {
                state.load(ordering: .acquiring) == Self.signalled
            }
        if !signalled,
            state.compareExchange(expected: Self.idle, desired: Self.asleep, ordering: .acquiringAndReleasing)
                .exchanged
        {
            semaphore.wait()
        }
        state.store(Self.idle, ordering: .releasing)
    }
}
