import Foundation
import LatentTensor

extension ArrayReaders {

    /// Parses NPY bytes: a table (1-D or 2-D) or images ([N, H, W] or [N, H, W, C]) of any plain numeric dtype
    /// (`NPYElement`), every size in the header checked against the file before memory is allocated.
    public static func npy(_ data: Data, name: String) throws -> NumericTable {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw LatentError(.data, "\(name): not an NPY file (expected the magic bytes \\x93NUMPY)")
        }
        let (header, body) = try npyHeader(bytes, name: name)
        let (descr, fortran, dims, shapeText) = try npyLayout(header, name: name)
        let rows = dims[0]
        let (columns, wide) = dims.dropFirst().reduce((1, false)) {
            let (p, o) = $0.0.multipliedReportingOverflow(by: $1)
            return (p, $0.1 || o)
        }
        var (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        overflow = overflow || wide
        if dims.count == 1, let width = NPYElement.textWidth(descr) {
            return try npyText(
                bytes, body: body, rows: rows, width: width, unicode: descr.dropFirst().first == "U",
                name: name)
        }
        guard let element = NPYElement(descr) else {
            throw LatentError(
                .data, "\(name): NPY dtype '\(descr)' is not supported (expected \(NPYElement.supported))")
        }
        let itemSize = element.size
        let (needed, tooBig) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, !tooBig, bytes.count - body == needed else {
            throw LatentError(
                .data,
                """
                \(name): NPY shape (\(shapeText)) needs \(overflow || tooBig ? "more than 2^63" : String(needed)) \
                bytes of data, the file holds \(bytes.count - body)
                """
            )
        }
        var values = bytes.withUnsafeBytes { element.values($0.baseAddress! + body, count: count) }
        if fortran && dims.count == 2 {
            var t = values
            for r in 0..<rows { for c in 0..<columns { t[r * columns + c] = values[c * rows + r] } }
            values = t
        }
        var table = NumericTable(rows: rows, columns: columns, values: values, header: nil)
        table.isFloating = element.kind == "f"
        if dims.count == 4, ![1, 3].contains(dims[3]) {
            // PyTorch's order (a tensor's .numpy()): each example's planes interleaved into pixels.
            let (c, plane) = (dims[1], dims[2] * dims[3])
            table.values.withUnsafeMutableBufferPointer { out in
                values.withUnsafeBufferPointer { v in
                    for r in 0..<rows {
                        for k in 0..<c {
                            for i in 0..<plane { out[r * columns + i * c + k] = v[r * columns + k * plane + i] }
                        }
                    }
                }
            }
            table.imageShape = [dims[2], dims[3], c]
            table.layout = "\(rows) images of \(c) × \(dims[2]) × \(dims[3]) stored channels first [N, C, H, W]"
        } else if dims.count >= 3 {
            table.imageShape = [dims[1], dims[2], dims.count == 4 ? dims[3] : 1]
        }
        return table
    }

    /// A 1-D array of strings (numpy's '<U' or '|S', e.g. class names saved as labels) as one column of names,
    /// numbered in sorted order (`NumericTable.textColumns`).
    private static func npyText(
        _ bytes: [UInt8], body: Int, rows: Int, width: Int, unicode: Bool, name: String
    ) throws -> NumericTable {
        let size = width * (unicode ? 4 : 1)
        let (needed, overflow) = rows.multipliedReportingOverflow(by: size)
        guard !overflow, bytes.count - body == needed else {
            throw LatentError(
                .data,
                "\(name): NPY strings need \(overflow ? "more than 2^63" : String(needed)) bytes of data, "
                    + "the file holds \(bytes.count - body)")
        }
        var cells = [String]()
        cells.reserveCapacity(rows)
        for r in 0..<rows {
            let start = body + r * size
            if unicode {
                let units = bytes.withUnsafeBytes { raw in
                    (0..<width).map {
                        UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))
                    }
                }
                cells.append(String(decoding: units.prefix { $0 != 0 }, as: UTF32.self))
            } else {
                cells.append(String(decoding: bytes[start..<(start + size)].prefix { $0 != 0 }, as: UTF8.self))
            }
        }
        let (names, rank) = NumericTable.numbered(Set(cells))
        var table = NumericTable(rows: rows, columns: 1, values: cells.map { rank[$0]! }, header: nil)
        table.textColumns = [0: names]
        return table
    }

    /// The NPY header's text and where the data starts.
    private static func npyHeader(_ bytes: [UInt8], name: String) throws -> (header: String, body: Int) {
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw LatentError(.data, "\(name): NPY header is truncated") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw LatentError(.data, "\(name): NPY version \(major) is not supported (expected 1, 2 or 3)")
        }
        guard headerStart + headerLength <= bytes.count,
            let header = String(
                bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1)
        else {
            throw LatentError(.data, "\(name): NPY header is truncated")
        }
        return (header, headerStart + headerLength)
    }

    /// The header's dtype, order and shape (1-D or 2-D).
    private static func npyLayout(
        _ header: String, name: String
    ) throws
        -> (descr: String, fortran: Bool, dims: [Int], shapeText: String)
    {
        guard
            let descr = field("descr", in: header).map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) })
        else {
            throw LatentError(.data, "\(name): NPY header has no 'descr'")
        }
        let fortran = field("fortran_order", in: header) == "True"
        guard let shapeText = shapeField(header) else { throw LatentError(.data, "\(name): NPY header has no 'shape'") }
        let dims = try shapeText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }.map { s -> Int in
            guard let v = Int(s), v >= 0 else {
                throw LatentError(.data, "\(name): NPY shape (\(shapeText)) is not a list of sizes")
            }
            return v
        }
        guard (1...4).contains(dims.count), dims.count < 4 || [1, 3].contains(dims[3]) || [1, 3].contains(dims[1])
        else {
            throw LatentError(
                .data,
                "\(name): expected a table (1-D or 2-D) or images [N, H, W], [N, H, W, C] or [N, C, H, W] with "
                    + "C = 1 or 3, got shape (\(shapeText))")
        }
        guard dims.count <= 2 || !fortran else {
            throw LatentError(.data, "\(name): a Fortran-order image array is not supported; save it C-ordered")
        }
        return (descr, fortran, dims, shapeText)
    }

    /// The text after `'key':` up to the next comma outside parentheses.
    private static func field(_ key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
    }

    private static func shapeField(_ header: String) -> String? {
        guard let r = header.range(of: "'shape':"), let open = header[r.upperBound...].firstIndex(of: "("),
            let close = header[open...].firstIndex(of: ")")
        else { return nil }
        return String(header[header.index(after: open)..<close])
    }
}
