import Foundation

/// Writers for arrays other tools read: NPY (NumPy's format, version 1.0) and CSV.
public enum ArrayWriters {
    /// A little-endian float32 NPY file of `rows` × `columns` values (row-major).
    public static func npy(_ values: [Float], rows: Int, columns: Int) -> Data {
        precondition(values.count == rows * columns, "npy: \(values.count) values for \(rows)x\(columns)")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        // magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        values.withUnsafeBufferPointer { d.append($0) }
        return d
    }

    /// CSV with a header line; `labels` adds a last column of text (class names) under its own name.
    public static func csv(
        _ values: [Float], rows: Int, columns: Int, header: [String], labels: (name: String, cells: [String])? = nil
    ) -> Data {
        precondition(header.count == columns, "csv: \(header.count) names for \(columns) columns")
        precondition(labels == nil || labels?.cells.count == rows, "csv: one label per row")
        var s = (header + (labels.map { [$0.name] } ?? [])).map(quoted).joined(separator: ",") + "\n"
        for r in 0..<rows {
            s +=
                (0..<columns).map { c -> String in
                    let v = values[r * columns + c]
                    return v == v.rounded() && abs(v) < 1e7 ? String(Int(v)) : String(v)
                }.joined(separator: ",") + (labels.map { "," + quoted($0.cells[r]) } ?? "") + "\n"
        }
        return Data(s.utf8)
    }

    /// A text cell as RFC 4180 writes it: in double quotes (inner ones doubled) if it holds a comma, a quote or a
    /// line break, else as it is.
    public static func quoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
