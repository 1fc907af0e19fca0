import Foundation

/// Writes files so a reader (or a crash) never sees half of one: write a temporary file next to the target,
/// flush it, then rename it over the target. (Foundation's `.atomic` option on Linux leaves an empty
/// `TemporaryDirectory.*` in /tmp behind each write.)
public enum AtomicFile {
    /// Throws unless a file can be written at `url`: its folder exists and is writable, and `url` is not a folder.
    /// Checked before long work, so a mistyped output path fails at once rather than after it.
    public static func checkWritable(_ url: URL) throws {
        let dir = try existingFolder(of: url)
        var isDirectory: ObjCBool = false
        guard FileManager.default.isWritableFile(atPath: dir.path) else {
            throw LatentError(.checkpoint, "\(dir.path): cannot write here (permission denied or read-only?)")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw LatentError(.checkpoint, "\(url.path) is a folder; name a file")
        }
    }

    /// Writes `data` to a temporary file beside `url` and renames it over `url`.
    public static func write(_ data: Data, to url: URL) throws {
        let dir = try existingFolder(of: url)
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
            throw LatentError(.checkpoint, "\(dir.path): cannot write here (permission denied or read-only?)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temp)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temp.path, url.path) == 0 else {
                throw LatentError(.checkpoint, "\(url.path): cannot replace (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            if let e = error as? LatentError { throw e }
            throw LatentError(.checkpoint, "\(url.path): write failed (\(error.localizedDescription))")
        }
    }

    /// The folder `url` is to be written in; throws if it does not exist.
    private static func existingFolder(of url: URL) throws -> URL {
        let dir = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LatentError(.checkpoint, "\(dir.path): output directory does not exist")
        }
        return dir
    }

    /// Creates `url` as a directory (and its parents) if it does not exist, with a clear error if it cannot.
    public static func makeDirectory(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw LatentError(.checkpoint, "\(url.path): exists and is not a directory")
            }
            guard FileManager.default.isWritableFile(atPath: url.path) else {
                throw LatentError(.checkpoint, "\(url.path): directory is not writable")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw LatentError(.checkpoint, "\(url.path): cannot create directory (\(error.localizedDescription))")
        }
    }
}
