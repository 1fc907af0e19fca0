import Foundation
import LatentTensor

/// What a model was trained on, recorded in its checkpoint so that later commands use the same data by default
/// and say so when they are given other data: the dataset's name, or the table's path, size and SHA-256, its
/// label column, and the subset (`limit`, `excludeLabel`) of the training split.
public struct DataProvenance: Codable, Equatable, Sendable {
    /// The named dataset ("mnist", "fashion-mnist"), or nil for a table.
    public var dataset: String?
    /// The table's path as given, its size in bytes and the SHA-256 of its content.
    public var file: String?
    /// The table's size in bytes.
    public var bytes: Int?
    /// Lower-case hex SHA-256 of the table's content.
    public var sha256: String?
    /// A test table of its own: its path as given, size in bytes and SHA-256 (nil: the test split is the
    /// table's every tenth row).
    public var testFile: String?, testBytes: Int?, testSha256: String?
    /// The table's label column, as given.
    public var labelColumn: String?
    /// The table's feature columns by name, in order (a CSV with a header): a saved model refuses a table whose
    /// header names other columns or orders them otherwise.
    public var columns: [String]?
    /// The classes' names in label order (an image folder's class folders, a table's label column of names):
    /// other data given to the model has its labels numbered the same way, by name.
    public var classes: [String]?
    /// How the CSV table was read, if it was set rather than detected.
    public var csv: CSVFormat?
    /// How a folder of pictures was read, with its recorded test split.
    public var images: ImageOptions?
    /// The first N training examples only.
    public var limit: Int?
    /// The label left out of training.
    public var excludeLabel: Int?

    /// The record of `source` (hashing a table's content; for a picture folder, `imageSet`, the set read from it,
    /// or else the folder read again) with the training subset.
    public init(_ source: DataSource, imageSet: ImageSet? = nil, limit: Int? = nil, excludeLabel: Int? = nil) {
        switch source {
        case .named(let name, _):
            dataset = name
        case .images(let url, var options):
            file = url.path
            if let set = imageSet ?? (try? ImageFolder.load(url, options: options)) {
                (bytes, sha256) = (set.dataset.pixels.count, set.sha256)
                options.testFiles = options.testFiles ?? set.testFiles
            }
            images = options
        case .table(let url, let column, let format, let test):
            file = url.path
            labelColumn = column
            csv = format == CSVFormat() ? nil : format
            (bytes, sha256) = Self.fingerprint(url)
            if let test { (testFile, (testBytes, testSha256)) = (test.path, Self.fingerprint(test)) }
        }
        (self.limit, self.excludeLabel) = (limit, excludeLabel)
    }

    /// The examples of a raw training split the run trained on: without `excludeLabel`, then the first `limit`.
    public func trainingSubset(of train: Dataset) -> Dataset {
        train.trainingSubset(excludingLabel: excludeLabel, limit: limit)
    }

    /// The source this record names (a dataset read from `directory` when given).
    public func source(directory: URL?) -> DataSource {
        if let file, let images { return .images(URL(fileURLWithPath: file), images) }
        if let file {
            return .table(
                URL(fileURLWithPath: file), labelColumn: labelColumn, csv: csv ?? CSVFormat(),
                test: testFile.map { URL(fileURLWithPath: $0) })
        }
        return .named(dataset ?? "mnist", directory: directory)
    }

    /// "fashion-mnist", "table.csv (2,048 bytes, sha256 1a2b3c…)" or "emoji/ (pictures, sha256 1a2b3c…)".
    public var summary: String {
        guard let file else { return dataset ?? "mnist" }
        if images != nil { return "\(file)/ (pictures, sha256 \(sha256?.prefix(12) ?? "?")…)" }
        let hash = sha256.map { ", sha256 \($0.prefix(12))…" } ?? ""
        let test = testFile.map { " with test table \($0) (sha256 \(testSha256?.prefix(12) ?? "?")…)" } ?? ""
        return "\(file) (\(bytes.map(String.init) ?? "?") bytes\(hash))\(test)"
    }

    /// Whether the table file still has the recorded content (true for named datasets).
    public var fileUnchanged: Bool {
        guard let file, let sha256 else { return true }
        if let images {
            var options = images
            options.testFiles = nil
            return (try? ImageFolder.fingerprint(URL(fileURLWithPath: file), options: options)) == sha256
        }
        let test = testFile.map { Self.fingerprint(URL(fileURLWithPath: $0)).sha256 == testSha256 } ?? true
        return Self.fingerprint(URL(fileURLWithPath: file)).sha256 == sha256 && test
    }

    /// A file's size and SHA-256 (nil, nil if it cannot be read).
    static func fingerprint(_ url: URL) -> (bytes: Int?, sha256: String?) {
        guard let data = try? Data(contentsOf: url) else { return (nil, nil) }
        return (data.count, sha256(data))
    }

    /// Lower-case hex SHA-256 (OpenSSL's EVP interface).
    static func sha256(_ data: Data) -> String {
        let hash = SHA256()
        hash.update(data)
        return hash.hexDigest()
    }
}
