import Foundation
import LatentTensor

#if canImport(Glibc)
    import Glibc
#endif

/// The files below a folder, as torchvision's `os.walk(followlinks=True)` finds them, with what it skips said
/// out loud: links to files and folders are followed (a link to a folder above it, a loop, is not),
/// links that lead out of the folder are followed and listed, and names that are not UTF-8 (which no path in a
/// checkpoint or a note could name) are listed and left out. Hidden entries (a leading ".") are skipped.
/// Written on POSIX `opendir`/`readdir`/`stat`, because Foundation's enumerator follows no links and drops
/// names that are not UTF-8 without a word.
struct FolderWalk {
    /// Every regular file's path relative to the folder (through links, as the user sees it).
    var files: [String] = []
    /// "path -> target" of each link that leads out of the folder (followed).
    var outside: [String] = []
    /// Names that are not UTF-8, with their bytes escaped ("cats/\xff.png").
    var badNames: [String] = []
    /// Links to a folder above them (loops), not followed.
    var loops: [String] = []
    /// Links whose target does not exist.
    var dangling: [String] = []

    /// Walks `folder`.
    init(_ folder: URL) throws {
        guard let root = Self.realPath(folder.path) else {
            throw LatentError(.data, field: "data", "\(folder.path) does not exist")
        }
        // Each folder to read, with the real paths of the folders above it: a link to one of them is a loop.
        var pending = [(relative: "", absolute: folder.path, above: Set([root]))]
        while let (relative, absolute, above) = pending.popLast() {
            guard let directory = opendir(absolute) else { continue }
            var names: [(String?, String)] = []
            while let entry = readdir(directory) {
                let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                if raw.first == UInt8(ascii: ".") { continue }  // ".", ".." and hidden entries
                names.append((String(validating: raw, as: UTF8.self), Self.escaped(raw)))
            }
            closedir(directory)
            var folders: [(String, String, Set<String>)] = []
            for (name, shown) in names.sorted(by: { $0.1 < $1.1 }) {
                guard let name else {
                    badNames.append(relative + shown)
                    continue
                }
                let path = relative + name, full = absolute + "/" + name
                var status = stat(), linkStatus = stat()
                guard lstat(full, &linkStatus) == 0 else { continue }
                let isLink = linkStatus.st_mode & S_IFMT == S_IFLNK
                guard stat(full, &status) == 0 else {
                    if isLink { dangling.append(path) }
                    continue
                }
                let kind = status.st_mode & S_IFMT, real = Self.realPath(full)
                if isLink, let real, real != root, !real.hasPrefix(root + "/") {
                    outside.append("\(path) -> \(real)")
                }
                if kind == S_IFDIR, let real {
                    guard !above.contains(real) else {
                        loops.append(path)
                        continue
                    }
                    folders.append((path + "/", full, above.union([real])))
                } else if kind == S_IFREG {
                    files.append(path)
                }
            }
            pending += folders.reversed()
        }
        files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The notes for what was followed or left out (empty when nothing was).
    func notes(for folder: URL) -> [String] {
        func listed(_ items: [String]) -> String {
            let more = items.count > 5 ? ", … (\(items.count - 5) more)" : ""
            return items.sorted().prefix(5).joined(separator: ", ") + more
        }
        var notes = [String]()
        if !outside.isEmpty {
            notes.append("note: followed \(outside.count) link(s) out of \(folder.path): \(listed(outside))")
        }
        if !badNames.isEmpty {
            notes.append(
                "note: left out \(badNames.count) name(s) in \(folder.path) that are not UTF-8 (rename them): "
                    + listed(badNames))
        }
        if !loops.isEmpty {
            notes.append(
                "note: \(loops.count) link(s) in \(folder.path) lead back to a folder above them: \(listed(loops))")
        }
        if !dangling.isEmpty {
            notes.append("note: \(dangling.count) link(s) in \(folder.path) point nowhere: \(listed(dangling))")
        }
        return notes
    }

    /// The canonical absolute path (links resolved), or nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Bytes as text, those that are not printable ASCII as \xNN.
    static func escaped(_ bytes: [UInt8]) -> String {
        bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }
}
