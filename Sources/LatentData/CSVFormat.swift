import Foundation
import LatentTensor

/// How a CSV file is laid out: whether its first line is a header, and the delimiter. Both are detected by
/// default (and the detection is reported), or set (`--header`, `--delimiter`).
public struct CSVFormat: Codable, Equatable, Sendable {
    /// Whether the first line names the columns.
    public enum Header: String, Codable, CaseIterable, Sendable {
        /// A header if a cell of the first line is not a number over a number in the next line (or every cell is
        /// text, or its names never come again in their columns), or the line is 0, 1, 2, … (pandas' names).
        case auto
        /// The first line is a header.
        case yes
        /// Every line is data.
        case no
    }

    /// The header rule.
    public var header: Header
    /// The delimiter, or nil to detect it among comma, semicolon, tab and bar.
    public var delimiter: Character?

    /// A format (detected by default).
    public init(header: Header = .auto, delimiter: Character? = nil) {
        self.header = header
        self.delimiter = delimiter
    }

    enum CodingKeys: String, CodingKey { case header, delimiter }

    /// Decodes a format saved with a checkpoint.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        header = try c.decode(Header.self, forKey: .header)
        delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter).flatMap(\.first)
    }

    /// Encodes the format for a checkpoint.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(header, forKey: .header)
        try c.encodeIfPresent(delimiter.map(String.init), forKey: .delimiter)
    }

    static let candidates: [Character] = [",", ";", "\t", "|"]

    /// The delimiter of `line`: the given one, or the candidate occurring most often outside quotes (comma if none).
    func delimiter(of line: Substring) -> Character {
        if let delimiter { return delimiter }
        var counts: [Character: Int] = [:]
        var quoted = false
        for ch in line {
            if ch == "\"" {
                quoted.toggle()
            } else if !quoted && Self.candidates.contains(ch) {
                counts[ch, default: 0] += 1
            }
        }
        return Self.candidates.max { counts[$0, default: 0] < counts[$1, default: 0] }
            .flatMap { counts[$0, default: 0] > 0 ? $0 : nil } ?? ","
    }

    /// Whether a first line of `cells` is a header under this rule, seeing the `next` line: with a cell that is
    /// not a number, unless each such cell stands over text in the next line too (a column of names, the data's
    /// own labels).
    func isHeader(_ cells: [String], next: [String]?, delimiter: Character) -> Bool {
        switch header {
        case .yes: return true
        case .no: return false
        case .auto:
            let text = cells.indices.filter { Self.number(cells[$0], delimiter) == nil }
            if !text.isEmpty {
                guard let next, next.count == cells.count, text.count < cells.count else { return true }
                return text.contains { Self.number(next[$0], delimiter) != nil }
            }
            // pandas writes its default column names 0, 1, 2, … as a numeric header.
            return cells.count > 2 && cells.map { Int($0) } == (0..<cells.count).map { $0 }
        }
    }

    /// A cell's number as the reader takes it (`CSVScanner.number`).
    private static func number(_ cell: String, _ delimiter: Character) -> Float? {
        CSVScanner.number(ArraySlice(cell.utf8), delimiter: delimiter.asciiValue ?? 0)
    }

    /// "semicolon-delimited, with a header".
    static func describe(_ delimiter: Character, header: Bool) -> String {
        let name = [",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"][delimiter] ?? "'\(delimiter)'"
        return "\(name)-delimited, \(header ? "with a header line" : "no header")"
    }
}
