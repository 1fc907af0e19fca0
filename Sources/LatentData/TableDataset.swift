import Foundation
import LatentTensor

/// The user's own tabular data (CSV or NPY) as a dataset: features as floats, an optional label column of
/// class numbers. Rows keep the file's order; every tenth row (the 10th, 20th, …) is held out as the test
/// split, so the split needs no seed and every command sees the same one.
public enum TableDataset {
    /// All rows of a .csv, .npy or .npz file. `labelColumn`: a column name (CSV header; an .npz's label member,
    /// `y` or `labels`), a 0-based index, "last", "none", or nil for the default: an .npz's label member if it
    /// has one, else none (every label 0, and the dataset is marked unlabelled).
    public static func load(_ url: URL, labelColumn: String?, csv: CSVFormat = CSVFormat()) throws -> Dataset {
        try make(ArrayReaders.read(url, csv: csv), source: url, labelColumn: labelColumn)
    }

    /// A dataset from a table already read from `source` (named in errors), label column as for `load`.
    public static func make(_ table: NumericTable, source url: URL, labelColumn requested: String?) throws -> Dataset {
        var table = table
        var labels = [UInt8](repeating: 0, count: table.rows)
        var classNames: [String]?
        let npzLabels =
            ArrayReaders.format(of: url)?.format == .npz
            ? table.header?.last.flatMap {
                ["y", "Y", "labels", "arr_1"].contains($0) ? $0 : nil
            } : nil
        let labelColumn = requested == "none" ? nil : requested ?? npzLabels
        if let labelColumn {
            let index: Int
            if labelColumn == "last" {
                index = table.columns - 1
            } else if let i = Int(labelColumn) {
                index = i
            } else if let i = table.header?.firstIndex(of: labelColumn) {
                let all = table.header!.indices.filter { table.header![$0] == labelColumn }
                guard all.count == 1 else {
                    throw LatentError(
                        .data, field: "labelColumn",
                        """
                        \(url.path) has \(all.count) columns named '\(labelColumn)' (0-based \
                        \(all.map(String.init).joined(separator: " and "))); give the label column's index
                        """)
                }
                index = i
            } else {
                throw LatentError(
                    .data,
                    "\(url.path): no column '\(labelColumn)' for `labelColumn`"
                        + (table.header.map { " (columns: \($0.joined(separator: ", ")))" }
                            ?? " (the file has no header; give a 0-based index)")
                        + (table.columns == 1 ? "; the file read as one column: is the delimiter right?" : ""))
            }
            guard index >= 0 && index < table.columns, table.columns >= 2 else {
                throw LatentError(
                    .data,
                    """
                    \(url.path): `labelColumn` \(labelColumn) is outside the file's \(table.columns) columns (or \
                    leaves no features)
                    """
                )
            }
            if let names = table.textColumns[index] {
                guard names.count <= 256 else {
                    throw LatentError(
                        .data,
                        "\(url.path): label column \(labelColumn) holds \(names.count) names; at most 256 classes")
                }
                classNames = names
            }
            if classNames == nil, let names = try numberedLabels(&table, column: index, url: url, name: labelColumn) {
                classNames = names
            }
            for r in 0..<table.rows { labels[r] = UInt8(table.values[r * table.columns + index]) }
            table = table.removingColumn(index)
        }
        if let (c, names) = table.textColumns.min(by: { $0.key < $1.key }) {
            let column = table.header.map { "'\($0[c])'" } ?? "\(c + 1)"
            let hint = table.header == nil ? "; if the first line names the columns, add --header yes" : ""
            let shown = names.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 3 ? ", …" : "")
            throw LatentError(
                .data,
                """
                \(url.path): column \(column) holds names (\(shown): \(names.count) in all), not numbers; only the \
                label column may (--label-column \(table.header?[c] ?? "\(c)"))\(hint)
                """)
        }
        if let bad = table.values.firstIndex(where: { !$0.isFinite }) {
            let column = table.header.map { "'\($0[bad % table.columns])'" } ?? "\(bad % table.columns + 1)"
            let count = table.values.count { !$0.isFinite }
            throw LatentError(
                .data,
                """
                \(url.path): row \(bad / table.columns + 1), column \(column) holds \(table.values[bad]) (\(count) \
                value\(count == 1 ? "" : "s") in all are not finite); expected finite numbers
                """)
        }
        var data = try Dataset(
            name: ArrayReaders.stem(of: url), values: table.values, labels: labels,
            features: table.columns)
        data.isLabelled = labelColumn != nil
        data.classNames = classNames
        if ArrayReaders.format(of: url)?.format == .text, let names = table.header, names.count == table.columns {
            data.featureNames = names
        }
        return data
    }

    /// The rows of a split: test = every tenth row, train = the rest.
    public static func split(_ data: Dataset, _ split: Split) -> Dataset {
        let rows = (0..<data.count).filter { split == .test ? $0 % 10 == 9 : $0 % 10 != 9 }
        return data.subset(rows, name: "\(data.name)-\(split.rawValue)")
    }

    /// A label column of numbers that are not all class numbers 0…255 (−1/1, 10/20/30, 0.5) is numbered in
    /// sorted order of its values, as a column of names is, and the values become the classes' names; nil when
    /// the column already holds class numbers. Throws for values that are not finite and for over 256 classes.
    static func numberedLabels(
        _ table: inout NumericTable, column: Int, url: URL, name: String
    ) throws -> [String]? {
        let values = table.column(column)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw LatentError(
                .data, "\(url.path): row \(bad + 1): label \(values[bad]) in column \(name) is not a class")
        }
        guard !values.allSatisfy(Dataset.isClassNumber) else { return nil }
        let distinct = Set(values).sorted()
        guard distinct.count <= 256, distinct.count <= 10 || distinct.count * 2 <= values.count else {
            throw LatentError(
                .data,
                """
                \(url.path): label column \(name) holds \(distinct.count) distinct values in \(values.count) rows, \
                not classes (at most 256, each on at least two rows on average); is it a feature? Give \
                `labelColumn` the column of classes, or none
                """)
        }
        let number = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Float($0)) })
        for r in 0..<table.rows { table.values[r * table.columns + column] = number[values[r]]! }
        return distinct.map(className)
    }

    /// A label value as a class name: `-1`, `20`, `0.5`.
    public static func className(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }

    /// A codes file as `latent encode` writes it (.npy or .csv), labels by `labelColumn`: "auto" (a CSV column
    /// named label; an NPY file's last column when it holds class numbers 0…255 only, as `latent encode` writes
    /// labels — codes are never all whole numbers, so unlabelled codes keep every column), "none", or a column as
    /// for `load`. Returns the rows and whether they carry labels.
    public static func codes(_ url: URL, labelColumn: String) throws -> (data: Dataset, labelled: Bool) {
        let table = try ArrayReaders.read(url)
        guard table.imageShape == nil else {
            throw LatentError(
                .data, "\(url.path): expected codes as rows [N, D] (label last), got more than 2 dimensions")
        }
        let column: String? =
            switch labelColumn {
            case "none": nil
            case "auto":
                table.header.map { $0.contains("label") ? "label" : nil }
                    ?? (ArrayReaders.format(of: url)?.format == .npy && holdsClasses(table, column: table.columns - 1)
                        ? "last" : nil)
            default: labelColumn
            }
        return (try make(table, source: url, labelColumn: column), column != nil)
    }

    /// Whether `column` of `table` (one of several) holds only class numbers 0…255.
    static func holdsClasses(_ table: NumericTable, column: Int) -> Bool {
        table.columns > 1 && table.column(column).allSatisfy(Dataset.isClassNumber)
    }
}
