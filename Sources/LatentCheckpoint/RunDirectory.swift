import Foundation
import LatentTensor

/// A training run's claim on its output directory: nothing the user had is overwritten by accident, and two
/// trainings never write into one directory at once.
///
/// - A directory is a run when Latent's own marker (`DIR/.latent-run`, or the lock file of runs written before
///   the marker) says so, not when its file names look like a run's. A directory holding anything else is
///   refused unless `overwrite` is set; one holding a run is refused unless it is being resumed or `overwrite`
///   is set. Files the run does not write are never deleted.
/// - An exclusive `flock` on `DIR/.latent.lock` (holding the owner's PID) is kept while training; a second
///   training into the directory is refused naming that PID. The kernel drops the lock when the process ends,
///   however it ends.
/// - Temporary files of a save interrupted by a crash (`.NAME.tmp-PID` of a process no longer running) are
///   removed.
public final class RunDirectory {
    /// The resumable training state's file in a run directory (`TrainingState`).
    public static let stateFileName = "training-state.safetensors"

    /// The directory.
    public let url: URL
    private let descriptor: Int32

    static let lockName = ".latent.lock"
    /// The marker that makes a directory a run.
    public static let markerName = ".latent-run"

    /// Whether `url` is a directory Latent made for a run (its marker, or the lock file of older runs).
    public static func isRun(_ url: URL) -> Bool {
        let fm = FileManager.default
        return [markerName, lockName].contains { fm.fileExists(atPath: url.appendingPathComponent($0).path) }
    }

    /// Claims `url` (creating it if needed) for a new run, or for continuing the run in it (`resuming`).
    public init(_ url: URL, resuming: Bool, overwrite: Bool) throws {
        self.url = url
        try AtomicFile.makeDirectory(url)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        let isRun = Self.isRun(url)
        if !overwrite {
            if !isRun, let other = names.sorted().first {
                throw LatentError(
                    .training, field: "outputDirectory",
                    """
                    \(url.path) holds files and is not a Latent run (\(other)); choose another directory or pass \
                    `overwrite` to write into it anyway
                    """)
            }
            if !resuming, names.contains("model.safetensors") || names.contains(Self.stateFileName) {
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
        let marker = url.appendingPathComponent(Self.markerName)
        if !FileManager.default.fileExists(atPath: marker.path) {
            let text = "a Latent training run (latent train --out); delete the folder to discard it\n"
            try AtomicFile.write(Data(text.utf8), to: marker)
        }
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
