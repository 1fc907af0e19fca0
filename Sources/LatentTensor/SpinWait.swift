import CKernels

#if canImport(Glibc)
    import Glibc
#endif

/// Polling with the CPU's spin-wait hint, for a bounded time: the waits of one training step's threads are short,
/// and a thread that sleeps instead pays for being woken (`Scripts/experiments/wake_latency.sh` on a 2-vCPU KVM:
/// 65–85 µs a round trip of two wakes).
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

    /// Returns once `done` is true: polls for up to `polling` nanoseconds (not at all if `threads` outnumber the
    /// CPUs), then yields the core between polls, so that a thread being waited for that has no core of its own
    /// gets one.
    @inline(__always)
    package static func wait(threads: Int, polling: Int, until done: () -> Bool) {
        let poll = pollNanoseconds(polling, threads: threads)
        if poll > 0, self.poll(forNanoseconds: poll, until: done) { return }
        while !done() { sched_yield() }
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
