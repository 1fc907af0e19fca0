import Foundation
import LatentTensor

/// Readers for NPY (NumPy's format, versions 1–3; every plain numeric dtype, tables and image arrays), NPZ
/// (NumPy's and Keras' archives) and numeric CSV (header optional), each in its own file (`ArrayReaders+NPY`,
/// `+NPZ`, `+CSV`). Every malformed file gets an error naming the file and, for CSV, the line; sizes are
/// checked against the file before anything is allocated.
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
}
