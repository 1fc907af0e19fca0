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
        (table.imageShape, table.layout) = (source.imageShape, source.layout)
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

/// Readers for NPY (NumPy's format, versions 1–3; every plain numeric dtype, tables and image arrays)
/// and numeric CSV (header optional). Every malformed file gets an error naming the file and, for CSV,
/// the line; sizes are checked against the file before anything is allocated.
public enum ArrayReaders {
    /// The kinds of table file, by name: NumPy's, and delimited text (whatever its extension says: .csv,
    /// .tsv, .txt, UCI's .data, .dat).
    public enum TableFormat: Sendable { case npy, npz, text }

    /// Extensions of delimited text files.
    public static let textExtensions: Set<String> = ["csv", "tsv", "txt", "data", "dat"]

    /// The format a file's name announces (a `.gz` after it: gzipped), or nil for a name that is no table's.
    public static func format(of url: URL) -> (format: TableFormat, gzipped: Bool)? {
        let gzipped = url.pathExtension.lowercased() == "gz"
        let ext = (gzipped ? url.deletingPathExtension() : url).pathExtension.lowercased()
        switch ext {
        case "npy": return (.npy, gzipped)
        case "npz": return gzipped ? nil : (.npz, false)
        default: return textExtensions.contains(ext) ? (.text, gzipped) : nil
        }
    }

    /// A table file's name without its extensions (`iris` for iris.csv and iris.tsv.gz).
    public static func stem(of url: URL) -> String {
        let plain = url.pathExtension.lowercased() == "gz" ? url.deletingPathExtension() : url
        return plain.deletingPathExtension().lastPathComponent
    }

    /// Reads a table file by its name (`format(of:)`); a gzipped one is decompressed first.
    public static func read(_ url: URL, csv format: CSVFormat = CSVFormat()) throws -> NumericTable {
        guard let (kind, gzipped) = Self.format(of: url) else {
            throw LatentError(
                .data, "\(url.path): expected a .csv (or .tsv, .txt, .data), .npy or .npz file, optionally .gz")
        }
        let data: Data
        if gzipped {
            data = Data(try FileBytes.read(url, limit: MemoryBudget.machineBytes.map { $0 / 2 }))
        } else {
            data = try contents(of: url)
        }
        switch kind {
        case .npy: return try npy(data, name: url.path)
        case .text: return try csv(data, name: url.path, format: format)
        case .npz: return try npz(NPZ.read(data, name: url.path), name: url.path)
        }
    }

    /// A file's bytes, or an error saying why they cannot be read.
    static func contents(of url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw LatentError(
                .data,
                """
                \(url.path): cannot read the file \
                (\(FileManager.default.fileExists(atPath: url.path) ? "permission or I/O error" : "no such file"))
                """
            )
        }
    }

    /// The table an .npz's members hold. Features: the member named x, X, data or features, NumPy's first
    /// positional array (`np.savez(f, x, y)`: arr_0), or the only member besides the labels; labels: y, Y, labels
    /// or arr_1, one per row, appended as the last column under its own name. Keras' split files (x_train,
    /// y_train, x_test, y_test, as in its mnist.npz) are read train rows first, and `testRows` marks the rest.
    public static func npz(_ arrays: [(name: String, table: NumericTable)], name: String) throws -> NumericTable {
        func member(_ names: [String]) -> (name: String, table: NumericTable)? {
            names.lazy.compactMap { n in arrays.first { $0.name == n } }.first
        }
        if let train = member(["x_train", "X_train"]), let test = member(["x_test", "X_test"]) {
            // The labels go under the name y, as in a single-array file.
            let trainLabels = member(["y_train", "Y_train"]).map { (name: "y", table: $0.table) }
            let testLabels = member(["y_test", "Y_test"]).map { (name: "y", table: $0.table) }
            var table = try labelled(train, trainLabels, name: name, as: "x")
            let tail = try labelled(test, testLabels, name: name, as: "x")
            guard tail.columns == table.columns, tail.imageShape == table.imageShape,
                (trainLabels == nil) == (testLabels == nil)
            else {
                throw LatentError(
                    .data, "\(name): '\(train.name)' and '\(test.name)' differ in shape (or only one has labels)")
            }
            let testRows = tail.rows, layout = table.layout
            if let trainNames = table.textColumns[table.columns - 1], trainLabels != nil {
                guard tail.textColumns[tail.columns - 1] == trainNames else {
                    throw LatentError(.data, "\(name): y_train and y_test name other classes")
                }
            }
            let textColumns = table.textColumns
            table = NumericTable(
                rows: table.rows + tail.rows, columns: table.columns, values: table.values + tail.values,
                header: table.header
            ).withImageShape(of: table)
            (table.textColumns, table.testRows) = (textColumns, testRows)
            table.layout = (layout.map { $0 + "; " } ?? "") + "its own split: x_train for training, x_test for testing"
            return table
        }
        let labelNames = ["y", "Y", "labels", "arr_1"]
        let others = arrays.filter { !labelNames.contains($0.name) }
        guard let features = member(["x", "X", "data", "features", "arr_0"]) ?? (others.count == 1 ? others[0] : nil)
        else {
            throw LatentError(
                .data,
                """
                \(name): no features member named x, X or data (members: \
                \(arrays.map(\.name).joined(separator: ", "))); save the features as x and the labels as y
                """)
        }
        let labels = member(features.name == "arr_0" ? labelNames : labelNames.dropLast())
        return try labelled(features, labels?.table.columns == 1 ? labels : nil, name: name, as: features.name)
    }

    /// The rows of `features` with `labels` (one per row) as a last column; columns named `prefix`0, `prefix`1, …
    static func labelled(
        _ features: (name: String, table: NumericTable), _ labels: (name: String, table: NumericTable)?,
        name: String, as prefix: String
    ) throws -> NumericTable {
        let t = features.table
        let columnNames = (0..<t.columns).map { "\(prefix)\($0)" }
        guard let labels else {
            return NumericTable(rows: t.rows, columns: t.columns, values: t.values, header: columnNames)
                .withImageShape(of: t)
        }
        guard labels.table.rows == t.rows, labels.table.columns == 1 else {
            throw LatentError(
                .data,
                """
                \(name): '\(labels.name)' holds \(labels.table.rows) labels for \(t.rows) rows of '\(features.name)'
                """
            )
        }
        var values = [Float]()
        values.reserveCapacity(t.rows * (t.columns + 1))
        for r in 0..<t.rows {
            values += t.values[(r * t.columns)..<((r + 1) * t.columns)]
            values.append(labels.table.values[r])
        }
        var table = NumericTable(
            rows: t.rows, columns: t.columns + 1, values: values, header: columnNames + [labels.name]
        ).withImageShape(of: t)
        table.textColumns = t.textColumns
        if let names = labels.table.textColumns[0] { table.textColumns[t.columns] = names }
        return table
    }

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

    /// Parses a CSV table. A column of names (every cell text, like iris' species) is numbered in sorted name order
    /// and listed in `textColumns`; a cell that is not a number in a column of numbers is an error naming its line.
    /// Whether the first line is a header follows `format` (`CSVFormat.isHeader`). Empty lines are skipped; every
    /// other line must have as many cells as the first.
    public static func csv(_ data: Data, name: String, format: CSVFormat = CSVFormat()) throws -> NumericTable {
        let scanner = try CSVScanner(data, name: name)
        let lines = scanner.lines
        guard let first = lines.first else { throw LatentError(.data, "\(name): no data rows") }
        let delimiter = format.delimiter(of: scanner.text(first.range))
        guard let byte = delimiter.asciiValue else {
            throw LatentError(.data, field: "delimiter", "expected an ASCII delimiter, got '\(delimiter)'")
        }
        let trailing = scanner.everyLineEnds(with: byte)
        var content: [UInt8] = [], ends: [Int] = []
        /// Cuts `line` into `content` and `ends`, an empty last cell of a delimiter ending every line left out.
        func cut(_ line: Range<Int>) {
            scanner.cells(line, delimiter: byte, content: &content, ends: &ends)
            if trailing && ends.count > 1 && ends[ends.count - 1] == ends[ends.count - 2] { ends.removeLast() }
        }
        func cell(_ c: Int) -> ArraySlice<UInt8> { content[(c == 0 ? 0 : ends[c - 1])..<ends[c]] }
        func cells(_ line: Range<Int>) -> [String] {
            cut(line)
            return ends.indices.map { String(decoding: cell($0), as: UTF8.self) }
        }
        let firstCells = cells(first.range)
        let next = lines.dropFirst().first.map { cells($0.range) }
        let header = format.isHeader(firstCells, next: next, delimiter: delimiter) ? firstCells : nil
        let columns = firstCells.count
        var values: [Float] = []
        values.reserveCapacity(lines.count * columns)
        var names = [[String: Int]](repeating: [:], count: columns)  // a text column's names, numbered as met
        var firstNumber = [Int?](repeating: nil, count: columns)  // line of a column's first number
        var firstText = [(line: Int, cell: String)?](repeating: nil, count: columns)
        func columnName(_ c: Int) -> String { header.map { "'\($0[c])'" } ?? "\(c + 1)" }
        // Missing cells per column: how many, and the first one's line and text.
        var missingCount = [Int](repeating: 0, count: columns),
            firstMissing = [(line: Int, cell: String)?](
                repeating: nil, count: columns)
        for (number, line) in lines.dropFirst(header == nil ? 0 : 1) {
            cut(line)
            guard ends.count == columns else {
                throw LatentError(
                    .data, "\(name): line \(number) has \(ends.count) cells, expected \(columns) like the first line")
            }
            for c in 0..<columns {
                let cell = cell(c), v = CSVScanner.number(cell, delimiter: byte)
                if let v, !v.isNaN {
                    if firstNumber[c] == nil { firstNumber[c] = number }
                    values.append(v)
                } else if v != nil || CSVScanner.isMissing(cell) {
                    missingCount[c] += 1
                    if firstMissing[c] == nil { firstMissing[c] = (number, String(decoding: cell, as: UTF8.self)) }
                    values.append(.nan)
                } else {
                    let text = String(decoding: cell, as: UTF8.self)
                    if firstText[c] == nil { firstText[c] = (number, text) }
                    let id = names[c][text] ?? names[c].count
                    names[c][text] = id
                    values.append(Float(id))
                }
            }
        }
        let rows = values.count / max(columns, 1)
        guard rows > 0 else { throw LatentError(.data, "\(name): no data rows") }
        if let c = missingCount.firstIndex(where: { $0 > 0 }), let first = firstMissing[c] {
            let count = missingCount[c], others = missingCount.reduce(0, +) - count
            throw LatentError(
                .data,
                """
                \(name): \(count) missing value\(count == 1 ? "" : "s") in column \(columnName(c)) (the \
                first on line \(first.line): '\(first.cell)')\(others > 0 ? ", and \(others) in other columns" : ""); \
                every cell must hold a number: drop or fill those rows (pandas: df.dropna() or df.fillna(…))
                """)
        }
        var textColumns: [Int: [String]] = [:]
        for c in 0..<columns {
            guard let text = firstText[c] else { continue }
            guard firstNumber[c] == nil else {
                throw LatentError(
                    .data, "\(name): line \(text.line), column \(columnName(c)): '\(text.cell)' is not a number")
            }
            // Number the names in sorted order, as torchvision numbers class folders.
            let (sorted, rank) = NumericTable.numbered(names[c].keys)
            let byID = names[c].sorted { $0.value < $1.value }.map { rank[$0.key]! }
            for r in 0..<rows { values[r * columns + c] = byID[Int(values[r * columns + c])] }
            textColumns[c] = sorted
        }
        // A first line read as data because its names stood over names ("species,2019" over "setosa,1") is the
        // header after all if none of those names comes again in its column: a class recurs, a column's name not.
        if format.header == .auto, header == nil, rows > 2, !textColumns.isEmpty,
            textColumns.keys.allSatisfy({ c in (1..<rows).allSatisfy { values[$0 * columns + c] != values[c] } })
        {
            return try csv(data, name: name, format: CSVFormat(header: .yes, delimiter: format.delimiter))
        }
        var table = NumericTable(rows: rows, columns: columns, values: values, header: header)
        table.textColumns = textColumns
        table.layout = "\(rows) rows × \(columns) columns, " + CSVFormat.describe(delimiter, header: header != nil)
        // pandas' to_csv without index=False: an unnamed first column 0, 1, 2, … is the row number, not a feature.
        if let first = header?.first, first.isEmpty || first == "Unnamed: 0", columns >= 2, textColumns[0] == nil,
            (0..<rows).allSatisfy({ values[$0 * columns] == Float($0) })
        {
            let layout = table.layout ?? ""
            table = table.removingColumn(0)
            table.layout = layout + "; its unnamed first column 0, 1, 2, … (pandas' index) left out"
        }
        return table
    }
}
