import Foundation
import LatentTensor

/// The on-disk cache of a decoded folder: "LTIMG002", the header's length (8 bytes, little-endian), a JSON
/// header (sizes, files, classes, unreadable files, checksum), then one label byte per picture and the pixels.
/// A store is verified, never trusted: every size is bounded and multiplied with overflow checks, and the
/// checksum (SHA-256 over the header without it, the labels and the pixels) must match, or the store is
/// discarded and the folder decoded again.
public enum ImageStore {
    private static let magic = Array("LTIMG002".utf8)
    /// The largest header read (64 MiB: a million file names).
    static let maxHeaderBytes = 1 << 26

    struct Header: Codable {
        var key: String
        var width: Int, height: Int, channels: Int
        var files: [String]
        var classes: [String]
        var unreadable: [String]
        var checksum: String
    }

    /// The set cached in `url`: nil if there is none, else the set or why the store cannot be used.
    static func read(_ url: URL, name: String, key: String) -> Result<ImageSet, LatentError>? {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe) else { return nil }
        return parse(data, name: name, key: key)
    }

    /// The set a store's bytes hold, if they are a whole store for `key` that matches its checksum; otherwise
    /// the reason (for the note before decoding again). Every size is checked before anything is allocated.
    public static func parse(_ data: Data, name: String, key: String) -> Result<ImageSet, LatentError> {
        func damaged(_ why: String) -> Result<ImageSet, LatentError> { .failure(LatentError(.data, why)) }
        guard data.count >= 16, Array(data.prefix(8)) == magic else {
            return damaged("not a store of this version")
        }
        let start = data.startIndex
        let length = data[(start + 8)..<(start + 16)].enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard length > 0, length <= UInt64(min(maxHeaderBytes, data.count - 16)) else {
            return damaged("a header of \(length) bytes")
        }
        let body = 16 + Int(length)
        guard let header = try? JSONDecoder().decode(Header.self, from: data[(start + 16)..<(start + body)]) else {
            return damaged("an unreadable header")
        }
        guard header.key == key else { return damaged("the store of other files") }
        let side = 1...(1 << 16)
        guard side.contains(header.width), side.contains(header.height), [1, 3].contains(header.channels),
            header.width * header.height <= ImageDecoder.maxPixels, header.classes.count <= 256
        else { return damaged("sizes out of range (\(header.width)x\(header.height)x\(header.channels))") }
        let n = header.files.count, features = header.width * header.height * header.channels
        let (pixels, overflow) = n.multipliedReportingOverflow(by: features)
        guard !overflow, pixels <= data.count, data.count - body == n + pixels else {
            return damaged("\(data.count - body) bytes of pictures for \(n) of \(features) values")
        }
        guard checksum(header, data[(start + body)...]) == header.checksum else {
            return damaged("its checksum does not match its content")
        }
        let labels = [UInt8](data[(start + body)..<(start + body + n)])
        guard header.classes.isEmpty || labels.allSatisfy({ Int($0) < header.classes.count }) else {
            return damaged("labels past its classes")
        }
        do {
            var dataset = try Dataset(
                name: name, pixels: [UInt8](data[(start + body + n)...]), labels: labels, height: header.height,
                width: header.width, channels: header.channels)
            dataset.isLabelled = !header.classes.isEmpty
            return .success(
                ImageSet(
                    dataset: dataset, files: header.files, classes: header.classes, unreadable: header.unreadable,
                    sha256: key))
        } catch {
            return damaged("\(error)")
        }
    }

    /// SHA-256 over the header (its checksum blank, keys sorted) and the body (labels, then pixels).
    static func checksum(_ header: Header, _ body: Data) -> String {
        var blank = header
        blank.checksum = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let hash = SHA256()
        hash.update((try? encoder.encode(blank)) ?? Data())
        body.withUnsafeBytes { hash.update($0) }
        return hash.hexDigest()
    }

    /// The store's file name for a folder's fingerprint: the fingerprint and the decoder's version, so that
    /// stores decoded by an earlier decoder are never read.
    public static func fileName(for key: String) -> String {
        let hash = SHA256()
        hash.update("decoder 2 (Pillow's pixels)|\(key)")
        return hash.hexDigest() + ".limg"
    }

    /// Marks a store as used now (its modification time), for `trim`.
    static func touch(_ url: URL) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: url.path)
    }

    /// Removes the least recently used stores in `directory` (oldest modification first, never `keeping`) until
    /// the stores take at most `limit` bytes; returns how many were removed.
    static func trim(_ directory: URL, to limit: Int, keeping: URL) -> Int {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        let urls = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: keys)) ?? []
        var stores = urls.filter { $0.pathExtension == "limg" }.compactMap { url -> (URL, Int, Date)? in
            guard let values = try? url.resourceValues(forKeys: Set(keys)) else { return nil }
            return (url, values.fileSize ?? 0, values.contentModificationDate ?? .distantPast)
        }
        var total = stores.reduce(0) { $0 + $1.1 }
        stores.sort { $0.2 < $1.2 }
        var removed = 0
        for (url, size, _) in stores where total > limit && url.standardizedFileURL != keeping.standardizedFileURL {
            guard (try? FileManager.default.removeItem(at: url)) != nil else { continue }
            total -= size
            removed += 1
        }
        return removed
    }

    /// Writes `set` to `url` whole or not at all (a temporary file renamed into place).
    static func write(_ set: ImageSet, to url: URL) throws {
        let d = set.dataset
        var header = Header(
            key: set.sha256, width: d.width, height: d.height, channels: d.channels, files: set.files,
            classes: set.classes, unreadable: set.unreadable, checksum: "")
        var body = Data(d.labels)
        body.append(contentsOf: d.pixels)
        header.checksum = checksum(header, body)
        let json = try JSONEncoder().encode(header)
        var data = Data(magic)
        data.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        data.append(json)
        data.append(body)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: url)
    }
}
