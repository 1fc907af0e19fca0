import Foundation
import LatentTensor

extension ArrayReaders {

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
