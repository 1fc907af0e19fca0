import Foundation
import LatentTensor

/// The IDX format of the MNIST files (LeCun et al.): a 4-byte magic (0, 0, type, rank), rank big-endian
/// 32-bit dimensions, then the elements. Latent reads unsigned-byte IDX files, gzipped or raw, and checks
/// every field before trusting it.
public struct IDXArray: Sendable {
    /// The array's dimensions, outermost first.
    public let dimensions: [Int]
    /// The elements, row-major.
    public let bytes: [UInt8]

    /// Reads and validates an IDX file. `expectedRank` rejects, say, a labels file given as images.
    public init(contentsOf url: URL, expectedRank: Int? = nil) throws {
        try self.init(bytes: try FileBytes.read(url), name: url.path, expectedRank: expectedRank)
    }

    /// Parses and validates the (already decompressed) bytes of an IDX file; `name` appears in errors.
    public init(bytes data: [UInt8], name path: String, expectedRank: Int? = nil) throws {
        guard data.count >= 4 else {
            throw LatentError(.data, "\(path): too short for an IDX file (\(data.count) bytes)")
        }
        guard data[0] == 0, data[1] == 0 else {
            throw LatentError(
                .data, "\(path): not an IDX file (magic number starts \(data[0]) \(data[1]), expected 0 0)")
        }
        guard data[2] == 0x08 else {
            throw LatentError(
                .data,
                """
                \(path): IDX element type 0x\(String(data[2], radix: 16)) is not supported (expected 0x08, \
                unsigned bytes)
                """
            )
        }
        let rank = Int(data[3])
        guard rank >= 1 && rank <= 4 else {
            throw LatentError(.data, "\(path): IDX rank \(rank) is not supported (expected 1 to 4)")
        }
        if let expectedRank, rank != expectedRank {
            throw LatentError(.data, "\(path): IDX rank \(rank), expected \(expectedRank)")
        }
        let header = 4 + 4 * rank
        guard data.count >= header else { throw LatentError(.data, "\(path): truncated IDX header") }
        var dims: [Int] = []
        var total = 1
        for i in 0..<rank {
            let o = 4 + 4 * i
            let d = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            dims.append(d)
            total = total.multipliedReportingOverflow(by: d).overflow ? Int.max : total * d
        }
        guard data.count - header == total else {
            throw LatentError(
                .data,
                """
                \(path): IDX header declares \(dims.map(String.init).joined(separator: "x")) = \(total) elements \
                but the file holds \(data.count - header)\(data.count - header < total ? " (truncated?)" : "")
                """
            )
        }
        dimensions = dims
        bytes = Array(data[header...])
    }
}
