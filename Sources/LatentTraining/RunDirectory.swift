import Foundation
import LatentCheckpoint
import LatentTensor

/// A training run's claim on its output directory: nothing the user had is overwritten by accident, and two
/// trainings never write into one directory at once.
///
/// - A directory holding files that are not a Latent run is refused unless `overwrite` is set; one holding a
///   run is refused unless it is being resumed or `overwrite` is set. Files the run does not write are never
///   deleted.
/// - An exclusive `flock` on `DIR/.latent.lock` (holding the owner's PID) is kept while training; a second
///   training into the directory is refused naming that PID. The kernel drops the lock when the process ends,
///   however it ends.
/// - Temporary files of a save interrupted by a crash (`.NAME.tmp-PID` of a process no longer running) are
///   removed.
public final class RunDirectory {
    /// The directory.
    public let url: URL
    private let descriptor: Int32

    /// The files a run writes; any other file makes a directory "not a run".
    static let runFiles: Set<String> = [
        "model.safetensors", "metrics.jsonl", TrainingState.fileName, "samples.png", "reconstructions.png",
        "denoising.png", "curves.png", "latent.png", "manifold.png", lockName,
    ]
    static let lockName = ".latent.lock"

    /// Claims `url` (creating it if needed) for a new run, or for continuing the run in it (`resuming`).
    public init(_ url: URL, resuming: Bool, overwrite: Bool) throws {
        self.url = url
        try AtomicFile.makeDirectory(url)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        let own = names.filter { Self.runFiles.contains($0) || $0.hasPrefix("manifold-") || $0.contains(".tmp-") }
        if !overwrite {
            if let other = names.first(where: { !own.contains($0) }) {
                throw LatentError(
                    .training, field: "outputDirectory",
                    """
                    \(url.path) holds files that are not a Latent run (\(other)); choose another directory or \
                    pass `overwrite` to write into it anyway
                    """)
            }
            if !resuming, names.contains("model.safetensors") {
                throw LatentError(
                    .training, field: "outputDirectory",
                    """
                    \(url.path) already holds a run; continue it with `resume`, choose another directory, or pass \
                    `overwrite` to replace it
                    """)
            }
        }
        let lock = url.appendingPathComponent(Self.lockName)
        descriptor = open(lock.path, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw LatentError(
                .training, "\(lock.path): cannot open the run's lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: lock, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            close(descriptor)
            throw LatentError(
                .training, field: "outputDirectory",
                """
                another training (process \(holder ?? "?")) is writing \(url.path); wait for it or choose another \
                directory
                """)
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        removeStaleTemporaries(names)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Temporary files whose writer is no longer running.
    private func removeStaleTemporaries(_ names: [String]) {
        for name in names {
            guard let range = name.range(of: ".tmp-"), let pid = Int32(name[range.upperBound...]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
            }
        }
    }
}
