import LatentTensor
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C and SIGTERM while training: the first signal asks the loop to stop after the step it is in (the
/// last complete checkpoint stays as it is); a second one exits at once. Installed by the front end
/// (`latent train` does); without it the signals keep their default meaning.
public enum Interruption {

    /// Routes SIGINT and SIGTERM here.
    public static func install() {
        // A parent may have started us with these signals blocked (the mask is inherited): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM] {
            signal(s) { _ in
                // Async-signal-safe: one atomic add, and _exit on the second signal.
                if StopRequest.record() > 1 { _exit(130) }
            }
        }
    }

    /// Whether a stop was asked for.
    public static var isRequested: Bool { StopRequest.isRequested }
}

/// Training stopped by `Interruption`: where it stopped and which checkpoint is complete.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    /// The epoch and step in progress.
    public let epoch: Int, step: Int
    /// The last epoch whose checkpoint, state and metrics are complete (0: none).
    public let lastCompleteEpoch: Int
    /// The run's directory and the number of epochs it was asked for.
    public let directory: String, epochs: Int

    /// What happened and what is kept.
    public var description: String {
        let kept =
            lastCompleteEpoch > 0
            ? "the checkpoint of epoch \(lastCompleteEpoch) in \(directory) is complete"
            : "no epoch had finished, so nothing was saved"
        return "interrupted at epoch \(epoch), step \(step); \(kept)"
    }
}
