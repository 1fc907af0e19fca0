import CZlib
import Foundation
import LatentTensor

/// Reads a whole file, gunzipping it if it is gzip (zlib's gzread passes plain files through unchanged).
enum FileBytes {
    /// The bytes; more than `limit` (a gzip bomb) is refused.
    static func read(_ url: URL, limit: Double? = nil) throws -> [UInt8] {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LatentError(.data, "\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw LatentError(.data, "\(path): is a directory, expected a file") }
        guard let file = gzopen(path, "rb") else { throw LatentError(.data, "\(path): cannot open for reading") }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 20)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw LatentError(.data, "\(path): corrupt or unreadable (\(message))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(n)])
            if let limit, Double(bytes.count) > limit {
                throw LatentError(.data, "\(path): decompresses to over \(MemoryBudget.format(limit)); too big to read")
            }
        }
        // A gzip stream cut short reads as a short file plus an error flag.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code != Z_OK && code != Z_STREAM_END {
            throw LatentError(.data, "\(path): truncated or corrupt gzip data")
        }
        return bytes
    }
}
