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
        try writeAll([(data, url)])
    }

    /// Writes several files all or none: every one to a temporary file beside its target first (a full disk or
    /// any failure removes them all and leaves every target as it was), then each renamed into place.
    public static func writeAll(_ files: [(data: Data, url: URL)]) throws {
        for (_, url) in files {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw LatentError(.checkpoint, "\(url.path) is a folder; name a file")
            }
        }
        var temporaries = [URL]()
        do {
            for (data, url) in files {
                let dir = try existingFolder(of: url)
                let temp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
                guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
                    throw LatentError(.checkpoint, "\(dir.path): cannot write here (permission denied or read-only?)")
                }
                temporaries.append(temp)
                do {
                    let handle = try FileHandle(forWritingTo: temp)
                    defer { try? handle.close() }
                    try handle.write(contentsOf: data)
                    try handle.synchronize()
                } catch {
                    throw LatentError(.checkpoint, "\(url.path): write failed (\(error.localizedDescription))")
                }
            }
            for (temp, file) in zip(temporaries, files) {
                guard rename(temp.path, file.url.path) == 0 else {
                    throw LatentError(
                        .checkpoint, "\(file.url.path): cannot replace (\(String(cString: strerror(errno))))")
                }
            }
        } catch {
            for temp in temporaries { try? FileManager.default.removeItem(at: temp) }
            throw error
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
