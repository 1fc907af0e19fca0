import Foundation
import Latent

/// Decoded rows (samples, decoded codes) as a .npy or .csv file: a table's rows in its own units (the saved
/// scaling undone), its column names as the CSV header, and optionally a class per row in a last column (its
/// name in a CSV where the training data named classes).
enum RowsFile {
    /// The file's bytes for `format` (a path ending in .npy or .csv) and a note on the units for the user.
    static func encode<M>(
        _ rows: Tensor, loaded: ModelStore.Loaded<M>, labels: [Int]?, format: String
    ) throws -> (data: Data, units: String) {
        let n = rows.shape[0], f = loaded.config.inputSize
        loaded.scaling?.restore(rows)
        var values = Array(UnsafeBufferPointer(start: rows.data, count: rows.count))
        let names = loaded.data?.columns.flatMap { $0.count == f ? $0 : nil } ?? (0..<f).map { "x\($0)" }
        let classes = loaded.data?.classes
        let units = loaded.scaling.map {
            $0.kind == .none ? "" : " (in the table's units: its \($0.kind) scaling undone)"
        }
        guard format.lowercased().hasSuffix(".csv") else {
            if let labels {
                values = (0..<n).flatMap { values[($0 * f)..<(($0 + 1) * f)] + [Float(labels[$0])] }
            }
            return (ArrayWriters.npy(values, rows: n, columns: f + (labels == nil ? 0 : 1)), units ?? "")
        }
        let cells = labels.map { labels in
            (0..<n).map { r in classes.flatMap { labels[r] < $0.count ? $0[labels[r]] : nil } ?? String(labels[r]) }
        }
        let data = ArrayWriters.csv(
            values, rows: n, columns: f, header: names, labels: cells.map { (name: "label", cells: $0) })
        return (data, units ?? "")
    }

    /// A table whose last column, where it is named `label`, holds class numbers (`Codes.table`: codes,
    /// embeddings) as .npy, or as .csv with each class by its name where the data named its classes.
    static func labelledTable(_ values: [Float], columns: [String], classNames: [String]?, format: String) -> Data {
        let width = columns.count, n = values.count / max(width, 1)
        guard format.lowercased().hasSuffix(".csv") else { return ArrayWriters.npy(values, rows: n, columns: width) }
        guard let classNames, let last = columns.last, last == "label" else {
            return ArrayWriters.csv(values, rows: n, columns: width, header: columns)
        }
        let features = (0..<n).flatMap { values[($0 * width)..<(($0 + 1) * width - 1)] }
        let cells = (0..<n).map { r in
            let c = Int(values[r * width + width - 1])
            return c >= 0 && c < classNames.count ? classNames[c] : String(c)
        }
        return ArrayWriters.csv(
            features, rows: n, columns: width - 1, header: Array(columns.dropLast()), labels: (name: last, cells: cells)
        )
    }
}
