import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A reusable barrier for the few threads of one data-parallel step: each waits until `count` have arrived.
/// Waiters yield the core while they spin (the other workers are busy on the same step, so waits are short).
package final class SpinBarrier: @unchecked Sendable {
    /// Threads that must arrive; set before the threads start, never while they wait.
    package var count: Int
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)

    package init(count: Int) { self.count = count }

    /// Blocks until `count` threads have called `wait` since the barrier last opened.
    package func wait() {
        let current = generation.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == count {
            arrived.store(0, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            return
        }
        while generation.load(ordering: .acquiring) == current { sched_yield() }
    }
}
