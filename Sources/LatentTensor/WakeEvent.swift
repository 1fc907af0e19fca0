import Dispatch
import Synchronization

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
