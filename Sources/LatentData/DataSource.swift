import Foundation
import LatentTensor

/// A command's data, read once (`DataSource.loadSplits`): both splits and the record of where they came from.
public struct LoadedData: Sendable {
    /// The training split, as read (no subset or scaling yet).
    public var train: Dataset
    /// The test split, as read.
    public var test: Dataset
    /// What the data is (a table's or folder's fingerprint), for the checkpoint; the subset is added by the caller.
    public var provenance: DataProvenance
}

/// Where a command's examples come from: a named dataset (bundled MNIST, Fashion-MNIST fetched once into the
/// cache and MD5-checked, or the IDX files in a directory), the user's own table (.csv, .npy, .npz; image arrays
/// [N, H, W] or [N, H, W, C] too), whose every tenth row is the test split (a Keras .npz: its x_test; a test
/// table of its own: all of that), or a folder of pictures (`ImageFolder`). Holds the rules every front end
/// applies when it loads data.
public enum DataSource: Sendable {
    /// A dataset by name ("mnist", "fashion-mnist", "dsprites", "dsprites-colour"), read from `directory` when given
    /// (dSprites is drawn, `DSprites`: it reads no directory).
    case named(String, directory: URL?)
    /// A table file, with the label column named by header, 0-based index or "last" (nil: unlabelled), and
    /// optionally a second table of the same columns that is the test split (the first is then all training).
    case table(URL, labelColumn: String?, csv: CSVFormat = CSVFormat(), test: URL? = nil)
    /// A folder of PNG/JPEG pictures (class subfolders, or flat: unlabelled).
    case images(URL, ImageOptions)

    /// The names `named` accepts.
    public static let datasetNames = ["mnist", "fashion-mnist"] + DSprites.names

    /// One split, checked: a table needs at least 10 rows (so the test split is not empty).
    public func load(
        _ split: Split, notes: (String) -> Void = { _ in }, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Dataset {
        switch self {
        case .images(let url, let options):
            // Both splits hear the folder's notes (a command may read only the test split; the CLI says each
            // note once).
            let set = try ImageFolder.load(url, options: options, notes: notes, progress: progress)
            return try Self.split(set, split, of: url, options: options)
        case .table(let url, let labelColumn, let csv, let test?):
            let pair = try TablePair(train: url, test: test, labelColumn: labelColumn, csv: csv)
            return try pair.load(split, notes: split == .train ? notes : { _ in })
        case .table(let url, let labelColumn, let csv, nil):
            let (all, testRows) = try Self.loadTable(
                url, labelColumn: labelColumn, csv: csv, notes: split == .train ? notes : { _ in })
            guard let testRows else { return TableDataset.split(all, split) }
            let start = all.count - testRows
            return all.subset(Array(split == .test ? start..<all.count : 0..<start), name: "\(all.name)-\(split)")
        case .named(let name, let directory):
            guard Self.datasetNames.contains(name) else {
                throw LatentError(
                    .data, field: "dataset",
                    "unknown dataset '\(name)' (expected \(Self.datasetNames.joined(separator: ", ")))")
            }
            if DSprites.names.contains(name) {
                return try DSprites.load(split, colour: name == "dsprites-colour", progress: progress)
            }
            var directory = directory
            if name != "mnist" && directory == nil, let known = DownloadableDataset.known[name] {
                // Fetched once into the cache (or from $LATENT_DATASET_MIRROR), each file checked by MD5.
                let mirror = ProcessInfo.processInfo.environment["LATENT_DATASET_MIRROR"]
                try known.ensure(in: known.cacheDirectory, mirror: mirror, log: notes)
                directory = known.cacheDirectory
            }
            return try MNIST.load(split, directory: directory, name: name)
        }
    }

    /// Both splits and the record of where they came from, read once: a picture folder is scanned, read, hashed
    /// and decoded (or read from the cache) once, and `beforeDecoding` hears what decoding it will make first
    /// (`ImageFolder.load`), so a model that cannot fit is refused before any picture is decoded.
    public func loadSplits(
        notes: (String) -> Void = { _ in }, progress: (Int, Int) -> Void = { _, _ in },
        beforeDecoding: (ImageFolder.Plan) throws -> Void = { _ in }
    ) throws -> LoadedData {
        guard case .images(let url, let options) = self else {
            let train = try load(.train, notes: notes), test = try load(.test, notes: notes)
            return LoadedData(train: train, test: test, provenance: DataProvenance(self))
        }
        let set = try ImageFolder.load(
            url, options: options, notes: notes, progress: progress, beforeDecoding: beforeDecoding)
        return LoadedData(
            train: try Self.split(set, .train, of: url, options: options),
            test: try Self.split(set, .test, of: url, options: options),
            provenance: DataProvenance(self, imageSet: set))
    }

    /// One split of a folder's pictures, refused if empty.
    static func split(_ set: ImageSet, _ split: Split, of url: URL, options: ImageOptions) throws -> Dataset {
        let data = set.split(split, testFiles: options.testFiles)
        guard data.count > 0 else {
            throw LatentError(
                .data, field: "data", "\(url.path): the \(split.rawValue) split is empty (\(set.files.count) pictures)")
        }
        return data
    }

    /// Every example in order: all rows of a table, or a dataset's train then test split.
    public func loadAll(
        notes: (String) -> Void = { _ in }, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Dataset {
        switch self {
        case .images(let url, let options):
            return try ImageFolder.load(url, options: options, notes: notes, progress: progress).dataset
        case .table(let url, let labelColumn, let csv, let test?):
            let pair = try TablePair(train: url, test: test, labelColumn: labelColumn, csv: csv)
            return try pair.loadAll(notes: notes)
        case .table(let url, let labelColumn, let csv, nil):
            return try Self.loadTable(url, labelColumn: labelColumn, csv: csv, notes: notes).data
        case .named(let name, _):
            let train = try load(.train, notes: notes), test = try load(.test, notes: notes)
            return train.subset(Array(0..<train.count), name: "\(name)-all").appending(test)
        }
    }

    /// Every row of a table file, and how many last rows are its own test split (nil: every tenth row is).
    static func loadTable(
        _ url: URL, labelColumn: String?, csv: CSVFormat, notes: (String) -> Void, minimumRows: Int = 10
    ) throws -> (data: Dataset, testRows: Int?) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw LatentError(.data, field: "data", "\(url.path): no such file or folder")
        }
        guard ArrayReaders.format(of: url) != nil else {
            if ImageFolder.extensions.contains(url.pathExtension.lowercased()) {
                throw LatentError(
                    .data, field: "data",
                    """
                    \(url.path) is one picture; give the folder of pictures (\(url.deletingLastPathComponent().path)), \
                    or its parent when its subfolders are classes
                    """)
            }
            throw LatentError(
                .data, field: "data",
                "expected a .csv (or .tsv, .txt, .data), .npy or .npz file, optionally .gz, got '\(url.path)'")
        }
        let table = try ArrayReaders.read(url, csv: csv)
        if let layout = table.layout { notes("\(url.lastPathComponent): \(layout)") }
        var all = try TableDataset.make(table, source: url, labelColumn: labelColumn)
        if let names = all.classNames {
            let listed = names.prefix(10).enumerated().map { "\($0) \($1)" }.joined(separator: ", ")
            notes(
                "\(url.lastPathComponent): \(names.count) classes named in the label column, numbered in sorted "
                    + "order: \(listed)\(names.count > 10 ? ", …" : "")")
        }
        if let shape = table.imageShape { all = try all.asImages(shape, floating: table.isFloating, notes: notes) }
        if let testRows = table.testRows {
            guard testRows > 0, testRows < all.count else {
                throw LatentError(.data, field: "data", "\(url.path): x_train and x_test each need a row")
            }
            return (all, testRows)
        }
        guard all.count >= minimumRows else {
            throw LatentError(
                .data, field: "data",
                """
                \(url.path) has \(all.count) rows; at least 10 are needed (every 10th row is the test split)
                """)
        }
        return (all, nil)
    }
}
