import Foundation
import LatentTensor

extension ArrayReaders {

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
        return try labelled(features, labels, name: name, as: features.name)
    }

    /// The rows of `features` with `labels` (one per row) as a last column; columns named `prefix`0, `prefix`1, …
    static func labelled(
        _ features: (name: String, table: NumericTable), _ labels: (name: String, table: NumericTable)?,
        name: String, as prefix: String
    ) throws -> NumericTable {
        let t = features.table
        let columnNames = (0..<t.columns).map { "\(prefix)\($0)" }
        guard let given = labels else {
            return NumericTable(rows: t.rows, columns: t.columns, values: t.values, header: columnNames)
                .withImageShape(of: t)
        }
        let labels = (name: given.name, table: try classColumn(given, rows: t.rows, name: name))
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

    /// Labels as one class number per row: a column as it is, or one-hot rows (Keras' `to_categorical`) as the
    /// index of their 1; any other shape is refused, never ignored.
    static func classColumn(
        _ labels: (name: String, table: NumericTable), rows: Int, name: String
    ) throws -> NumericTable {
        let t = labels.table
        guard t.columns > 1 else { return t }
        guard t.rows == rows, t.textColumns.isEmpty else {
            throw LatentError(
                .data, "\(name): '\(labels.name)' holds \(t.rows) rows of \(t.columns) labels for \(rows) examples")
        }
        var classes = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = t.values[(r * t.columns)..<((r + 1) * t.columns)]
            guard row.allSatisfy({ $0 == 0 || $0 == 1 }), row.filter({ $0 == 1 }).count == 1 else {
                throw LatentError(
                    .data,
                    """
                    \(name): '\(labels.name)' is \(t.rows)x\(t.columns) but row \(r) is not one-hot; give one class \
                    number per example (e.g. y.argmax(1)) or one-hot rows
                    """)
            }
            classes[r] = Float(row.firstIndex(of: 1)! - row.startIndex)
        }
        return NumericTable(rows: rows, columns: 1, values: classes, header: nil)
    }
}
