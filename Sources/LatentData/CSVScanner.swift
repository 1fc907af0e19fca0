import Foundation
import LatentTensor

/// CSV bytes cut into lines and cells without a String per line or a Foundation call per cell. Hand-written:
/// Foundation has no CSV reader, and splitting Strings by Character and trimming each cell with Foundation took
/// 37 s for a 57 MB table (300,000 rows × 20) that this reads in about a second.
struct CSVScanner {
    /// The file's bytes.
    let bytes: [UInt8]
    /// Each non-blank line: its number in the file (from 1) and its bytes, the line break left out.
    let lines: [(number: Int, range: Range<Int>)]

    /// The lines of `data` (UTF-8; Excel's byte order mark skipped; \n, \r\n or \r line breaks).
    init(_ data: Data, name: String) throws {
        bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw LatentError(.data, "\(name): not UTF-8 text")
        }
        var lines: [(number: Int, range: Range<Int>)] = []
        bytes.withUnsafeBufferPointer { b in
            let lineBreak: UInt8 = b.contains(10) ? 10 : 13
            var start = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, number = 0
            while start < b.count {
                var end = start
                while end < b.count && b[end] != lineBreak { end += 1 }
                number += 1
                let stop = lineBreak == 10 && end > start && b[end - 1] == 13 ? end - 1 : end
                if (start..<stop).contains(where: { b[$0] != 32 && b[$0] != 9 }) {
                    lines.append((number, start..<stop))
                }
                start = end + 1
            }
        }
        self.lines = lines
    }

    /// A line as text (for the few lines read as a header).
    func text(_ line: Range<Int>) -> Substring { Substring(String(decoding: bytes[line], as: UTF8.self)) }

    /// Whether every line ends with `delimiter` (an empty last cell some exporters write, not a column).
    func everyLineEnds(with delimiter: UInt8) -> Bool {
        lines.allSatisfy { bytes[$0.range.upperBound - 1] == delimiter }
    }

    /// The cells of `line` (split on `delimiter` outside double quotes, quotes
    /// dropped but a doubled one inside quotes kept as one, spaces and tabs trimmed): their bytes one after
    /// another in `content`, where each ends in `ends`. Both are reused from line to line.
    func cells(_ line: Range<Int>, delimiter: UInt8, content: inout [UInt8], ends: inout [Int]) {
        content.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var quoted = false, escaped = false, cellStart = 0
        func finish() {
            while content.count > cellStart, content[content.count - 1] == 32 || content[content.count - 1] == 9 {
                content.removeLast()
            }
            ends.append(content.count)
            cellStart = content.count
        }
        for i in line {
            let byte = bytes[i]
            if escaped {
                escaped = false
            } else if byte == 34 && quoted && i + 1 < line.upperBound && bytes[i + 1] == 34 {
                content.append(34)  // a doubled quote inside quotes is one quote
                escaped = true
            } else if byte == 34 {
                quoted.toggle()
            } else if byte == delimiter && !quoted {
                finish()
            } else if !(content.count == cellStart && (byte == 32 || byte == 9)) {
                content.append(byte)
            }
        }
        finish()
    }

    /// Whether `cell` marks a missing value as spreadsheets, pandas and R write it: empty, NA, N/A, NaN, null,
    /// None or `?` (UCI's files), in any case.
    static func isMissing(_ cell: ArraySlice<UInt8>) -> Bool {
        guard cell.count <= 4 else { return false }
        return ["", "na", "n/a", "nan", "null", "none", "?"].contains(
            String(decoding: cell, as: UTF8.self).lowercased())
    }

    /// The number a cell's bytes hold, or nil. In a semicolon-delimited file a decimal comma is read too (`1,5`:
    /// Excel's CSV in much of Europe); pandas' booleans `True` and `False` are 1 and 0.
    static func number(_ cell: ArraySlice<UInt8>, delimiter: UInt8) -> Float? {
        guard let first = cell.first else { return nil }
        if let v = Float(String(decoding: cell, as: UTF8.self)) { return v }
        if first | 0x20 == 0x74 || first | 0x20 == 0x66, cell.count <= 5 {  // t, f
            switch String(decoding: cell, as: UTF8.self).lowercased() {
            case "true": return 1
            case "false": return 0
            default: break
            }
        }
        guard delimiter == 59, cell.count(where: { $0 == 44 }) == 1, !cell.contains(46) else { return nil }
        return Float(String(decoding: cell.map { $0 == 44 ? 46 : $0 }, as: UTF8.self))
    }
}
