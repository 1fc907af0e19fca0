import Foundation
import LatentTensor

/// A matrix of numbers read from a file, with column names when the file had them.
public struct NumericTable: Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Row-major values.
    public var values: [Float]
    /// Column names (CSV header), or nil.
    public let header: [String]?
    /// How a CSV file was read ("semicolon-delimited, with a header line"), for the user to check.
    public var layout: String?
    /// [height, width, channels] when the rows are images (an NPY array [N, H, W] or [N, H, W, C]).
    public var imageShape: [Int]?
    /// Whether the values were stored as floating point (an NPY float array): pictures of floats hold 0…1.
    public var isFloating = false
    /// Columns of a CSV that held names instead of numbers: column → its names, sorted; the column's values are
    /// indices into them.
    public var textColumns: [Int: [String]] = [:]
    /// The number of last rows that are the file's own test split (an .npz's x_test); nil: every tenth row is.
    public var testRows: Int?

    /// A table of row-major values with an optional header.
    public init(rows: Int, columns: Int, values: [Float], header: [String]?) {
        self.rows = rows
        self.columns = columns
        self.values = values
        self.header = header
    }

    /// This table with the image shape and layout note of `source` (the array it was built from).
    func withImageShape(of source: NumericTable) -> NumericTable {
        var table = self
        (table.imageShape, table.layout, table.isFloating) = (source.imageShape, source.layout, source.isFloating)
        return table
    }

    /// Distinct class names numbered in sorted order, as torchvision numbers class folders: the names and each
    /// one's number.
    static func numbered(_ names: some Collection<String>) -> (sorted: [String], rank: [String: Float]) {
        let sorted = names.sorted()
        return (sorted, Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Float($0)) }))
    }

    /// One column's values.
    public func column(_ c: Int) -> [Float] { (0..<rows).map { values[$0 * columns + c] } }

    /// The table without column `c`.
    public func removingColumn(_ c: Int) -> NumericTable {
        var out = [Float]()
        out.reserveCapacity(rows * (columns - 1))
        for r in 0..<rows { for j in 0..<columns where j != c { out.append(values[r * columns + j]) } }
        var table = NumericTable(
            rows: rows, columns: columns - 1, values: out,
            header: header.map { h in h.enumerated().filter { $0.offset != c }.map(\.element) })
        for (j, names) in textColumns where j != c { table.textColumns[j > c ? j - 1 : j] = names }
        return table
    }
}
