import Foundation
import LatentTensor

/// The on-disk cache of a decoded folder: "LTIMG001", the header's length (8 bytes, little-endian), a JSON
/// header (sizes, files, classes, unreadable files), then one label byte per picture and the pixels. A store
/// that does not match its key or its own sizes is ignored (and rewritten), never trusted.
enum ImageStore {
    private static let magic = Array("LTIMG001".utf8)

    private struct Header: Codable {
        var key: String
        var width: Int, height: Int, channels: Int
        var files: [String]
        var classes: [String]
        var unreadable: [String]
    }

    /// The set cached in `url`, if it is a whole store for `key`.
    static func read(_ url: URL, name: String, key: String) -> ImageSet? {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe), data.count >= 16,
            Array(data.prefix(8)) == magic
        else { return nil }
        let length = data[8..<16].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length > 0, length <= data.count - 16,
            let header = try? JSONDecoder().decode(Header.self, from: data[16..<(16 + length)]), header.key == key
        else { return nil }
        let n = header.files.count, features = header.width * header.height * header.channels
        let body = 16 + length
        guard features > 0, data.count == body + n + n * features, header.classes.count <= 256 else { return nil }
        let labels = [UInt8](data[body..<(body + n)])
        guard header.classes.isEmpty || labels.allSatisfy({ Int($0) < header.classes.count }),
            var dataset = try? Dataset(
                name: name, pixels: [UInt8](data[(body + n)...]), labels: labels, height: header.height,
                width: header.width, channels: header.channels)
        else { return nil }
        dataset.isLabelled = !header.classes.isEmpty
        return ImageSet(
            dataset: dataset, files: header.files, classes: header.classes, unreadable: header.unreadable,
            sha256: key)
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
        let header = Header(
            key: set.sha256, width: d.width, height: d.height, channels: d.channels, files: set.files,
            classes: set.classes, unreadable: set.unreadable)
        let json = try JSONEncoder().encode(header)
        var data = Data(magic)
        data.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        data.append(json)
        data.append(contentsOf: d.labels)
        data.append(contentsOf: d.pixels)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: url)
    }
}
