import Synchronization

/// A reusable barrier for the few threads of one data-parallel step: each waits until `count` have arrived.
/// Waiters poll with the CPU's spin-wait hint for a while (the other workers are busy on the same step, so waits
/// are short), then yield the core between polls (so a worker that has no core of its own still gets one).
package final class SpinBarrier: @unchecked Sendable {
    /// Threads that must arrive; set before the threads start, never while they wait.
    package var count: Int
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)

    /// How long a waiter polls before it starts yielding the core (none when the threads outnumber the CPUs).
    package static let pollNanoseconds = 50_000

    package init(count: Int) { self.count = count }

    /// Blocks until `count` threads have called `wait` since the barrier last opened.
    package func wait() {
        let current = generation.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == count {
            arrived.store(0, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            return
        }
        SpinWait.wait(threads: count, polling: Self.pollNanoseconds) {
            generation.load(ordering: .acquiring) != current
        }
    }
}
