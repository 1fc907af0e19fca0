import ArgumentParser
import Foundation
import Latent

/// Options every data-reading command shares.
struct DataOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "Directory with the dataset's IDX files (default: $LATENT_DATA, else the MNIST copy bundled with Latent).",
            valueName: "dir"))
    var dataDirectory: String?

    @Option(
        help:
            """
            Dataset name: mnist (bundled), fashion-mnist (downloaded once and MD5-checked, or read from --data-dir), \
            dsprites or dsprites-colour (drawn, with factor labels).
            """
    )
    var dataset: String?

    @Option(
        name: .customLong("data"),
        help: ArgumentHelp(
            """
            Your own data instead of a dataset: a folder of PNG/JPEG pictures (subfolders are classes), or a \
            table: a .csv (header optional; .tsv, .txt, .data too, and .gz), .npy or .npz file (.npz: array x, \
            labels y), one example per row, or \
            an image array [N, H, W(, C)] or [N, C, H, W]; every 10th picture or row is the test split (an .npz \
            of Keras' x_train, y_train, x_test, y_test keeps its own).
            """,
            valueName: "path"))
    var dataFile: String?

    @Option(
        name: .customLong("test-data"),
        help: ArgumentHelp(
            """
            With a --data table: a second table of the same columns that is the test split (every row of --data \
            is then training), as data often comes (train.csv, test.csv).
            """,
            valueName: "path"))
    var testDataFile: String?

    @Option(
        name: .customLong("image-size"),
        help: ArgumentHelp(
            """
            With a --data folder: the training size, SIDE or WIDTHxHEIGHT (default: the first picture's); each \
            picture is scaled to cover it (antialiased) and centre-cropped.
            """,
            valueName: "size"))
    var imageSize: String?

    @Option(help: "With a --data folder: 1 (grey) or 3 (RGB) channels (default: 3 if any picture has colour).")
    var channels: Int?

    @Flag(help: "With a --data folder: refuse it if any file cannot be decoded (default: list and skip them).")
    var strict = false

    @Option(
        name: .customLong("label-column"),
        help: """
            The column holding class labels (a header name, a 0-based index, last, or none): for --data (default \
            none), and for a codes file of pca/tsne (default auto: a CSV column named label, an NPY's last column).
            """)
    var labelColumn: String?

    @Option(
        help:
            """
            With a --data CSV: auto (a header if the first line is not all numbers, or is 0,1,2,… as pandas \
            writes), yes or no.
            """
    )
    var header: CSVFormat.Header = .auto

    @Option(help: "With a --data CSV: the delimiter (default: detected among , ; tab |; 'tab' for a tab).")
    var delimiter: String?

    func validate() throws {
        if let dataset, !DataSource.datasetNames.contains(dataset) {
            let known = DataSource.datasetNames.joined(separator: ", ")
            throw ValidationError("--dataset: unknown dataset '\(dataset)' (expected \(known))")
        }
        if let dataset, DSprites.names.contains(dataset), dataDirectory != nil {
            throw ValidationError("--data-dir: \(dataset) is drawn, not read from files; leave it out")
        }
        if let delimiter, delimiter != "tab" && delimiter.count != 1 {
            throw ValidationError("--delimiter: expected one character or 'tab', got '\(delimiter)'")
        }
        if dataset != nil && dataFile != nil {
            throw ValidationError("--dataset and --data name two sources; give one")
        }
        if let imageSize { try ErrorMessages.asValidation { _ = try ImageOptions.size(imageSize) } }
        if let channels, channels != 1 && channels != 3 {
            throw ValidationError("--channels: expected 1 (grey) or 3 (RGB), got \(channels)")
        }
        if testDataFile != nil && (dataFile == nil || isFolder) {
            throw ValidationError(
                """
                --test-data applies to a --data table; a folder of pictures comes split as train/ and test/ \
                folders side by side
                """)
        }
        if (imageSize != nil || channels != nil || strict) && !isFolder {
            throw ValidationError("--image-size, --channels and --strict apply to a --data folder of pictures")
        }
    }

    /// The directory to read, or nil for the bundled MNIST.
    var directory: URL? {
        if let dataDirectory { return URL(fileURLWithPath: dataDirectory) }
        if let env = ProcessInfo.processInfo.environment["LATENT_DATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return nil
    }

    /// The CSV layout the flags ask for.
    var csvFormat: CSVFormat {
        CSVFormat(header: header, delimiter: delimiter.map { $0 == "tab" ? "\t" : $0 }.flatMap(\.first))
    }

    /// Whether --data names a folder.
    var isFolder: Bool {
        var directory: ObjCBool = false
        return dataFile.map { FileManager.default.fileExists(atPath: $0, isDirectory: &directory) } == true
            && directory.boolValue
    }

    /// A short name of the source for titles: the --data file or folder's name, else the dataset's.
    var sourceName: String {
        dataFile.map { ArrayReaders.stem(of: URL(fileURLWithPath: $0)) } ?? dataset ?? "mnist"
    }

    /// Whether the flags name a source (otherwise a model's recorded training data is used).
    var given: Bool { dataset != nil || dataFile != nil }

    /// The data for a saved model: the flags' source if given (with a note when the model was trained on other
    /// data), else the data recorded in its checkpoint (MNIST for checkpoints without a record).
    func source<M>(for loaded: ModelStore.Loaded<M>) throws -> DataSource {
        let recorded = loaded.data
        if let recorded, !given {
            for file in [recorded.file, recorded.testFile].compactMap({ $0 })
            where !FileManager.default.fileExists(atPath: file) {
                // The user gave no --data: the path is the checkpoint's record, and the data has moved.
                throw LatentError(
                    .data,
                    "the model was trained on \(file), which is no longer there (moved or deleted?); give `data` "
                        + "with where it is now")
            }
            if recorded.dataset != "mnist" { note("using the model's training data: \(recorded.summary)") }
            if !recorded.fileUnchanged { note("note: \(recorded.file ?? "") has changed since the model was trained") }
            return recorded.source(directory: directory)
        }
        let source = TrainingData.source(source, for: loaded.config, recorded: recorded)
        if let recorded {
            let mine = DataProvenance(source)
            if mine.dataset != recorded.dataset || mine.sha256 != recorded.sha256 {
                note("note: the model was trained on \(recorded.summary); using \(mine.summary)")
            }
        }
        return source
    }

    /// The source these flags name.
    var source: DataSource {
        if let dataFile, isFolder {
            var options = ImageOptions(channels: channels, strict: strict)
            if let imageSize, let size = try? ImageOptions.size(imageSize) {
                (options.width, options.height) = (size.width, size.height)
            }
            return .images(URL(fileURLWithPath: dataFile), options)
        }
        if let dataFile {
            return .table(
                URL(fileURLWithPath: dataFile), labelColumn: labelColumn, csv: csvFormat,
                test: testDataFile.map { URL(fileURLWithPath: $0) })
        }
        return .named(dataset ?? "mnist", directory: directory)
    }

    /// One split of the source (download notes on stderr).
    func load(_ split: Split) throws -> Dataset { try source.load(split, notes: note, progress: decoding()) }

    /// Both splits and their provenance, read once (`DataSource.loadSplits`).
    func loadSplits(beforeDecoding: (ImageFolder.Plan) throws -> Void) throws -> LoadedData {
        try source.loadSplits(notes: note, progress: decoding(), beforeDecoding: beforeDecoding)
    }

    /// Every example in order: all rows of a --data file, or a dataset's train then test split.
    func loadAll() throws -> Dataset { try source.loadAll(notes: note, progress: decoding()) }

    /// A split prepared for a saved model (`TrainingData.forModel`): its feature scaling applied, its input size
    /// checked, and for a model trained with dynamic binarisation the test split binarised with the fixed seed.
    func load<M>(_ split: Split, for loaded: ModelStore.Loaded<M>, binarizeTest: Bool = true) throws -> Dataset {
        let raw = try source(for: loaded).load(split, notes: note, progress: decoding())
        do {
            let set = try TrainingData.forModel(
                loaded.config, scaling: loaded.scaling, columns: loaded.data?.columns, classes: loaded.data?.classes,
                raw)
            return binarizeTest && split == .test ? TrainingData.binarizedIfNeeded(set, loaded.config) : set
        } catch let error as LatentError {
            throw mismatch(raw, loaded) ?? error
        }
    }

    /// `split` (train, test, or all: every example in file order) prepared for a saved model, as `load` does.
    func load<M>(split: String, for loaded: ModelStore.Loaded<M>) throws -> Dataset {
        guard split == "all" else { return try load(Split(rawValue: split)!, for: loaded, binarizeTest: false) }
        let raw = try source(for: loaded).loadAll(notes: note, progress: decoding())
        if let mismatch = mismatch(raw, loaded) { throw mismatch }
        return try TrainingData.forModel(
            loaded.config, scaling: loaded.scaling, columns: loaded.data?.columns, classes: loaded.data?.classes, raw)
    }

    /// For data of another shape than the model's input: an error naming the model's picture size, or the data
    /// it was trained on and the flag that selects it (nil: the shapes agree).
    func mismatch<M>(_ raw: Dataset, _ loaded: ModelStore.Loaded<M>) -> Error? {
        let config = loaded.config
        guard raw.featureCount != config.inputSize else { return nil }
        if isFolder && raw.isImage && config.imageHeight > 1 {
            return ValidationError(
                """
                --image-size, --channels: the model takes \(config.imageWidth)x\(config.imageHeight) pictures \
                with \(config.channels) channel(s), these give \(raw.width)x\(raw.height) with \(raw.channels); \
                leave both flags out to use the model's
                """)
        }
        let line = "\(raw.name) has \(raw.featureCount) features per example; the model expects \(config.inputSize)"
        guard let recorded = loaded.data else { return ValidationError("--data: \(line)") }
        let flag = recorded.file.map { "--data \($0)" } ?? "--dataset \(recorded.dataset ?? "mnist")"
        return ValidationError("\(line); the model was trained on \(recorded.summary): pass \(flag)")
    }
}

/// BLAS thread count.
struct ThreadOptions: ParsableArguments {
    @Option(
        help:
            """
            Threads (default: all cores). Training splits each batch over them; other commands use them for matrix \
            products.
            """
    )
    var threads: Int?

    func validate() throws {
        if let threads { try bounded(threads, "--threads", 1...1024) }
    }

    /// The thread count to use.
    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    func apply() {
        BLAS.setThreads(count)
    }
}

/// Parses "400" or "512,256" for --hidden.
func parseSizes(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
        Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw ValidationError("\(flag): expected positive sizes separated by commas (e.g. 512,256), got '\(text)'")
    }
    return parts.map { $0! }
}

extension Activation: ExpressibleByArgument {}

/// Writes a line to standard error (notes that are not results), once: a command that reads its data twice
/// (`semisup`: train and test splits) says where it comes from once.
func note(_ line: String) {
    guard NoteLog.shared.first(line) else { return }
    let line = ErrorMessages.replacingNames(line)  // the library's `imageSize` is the user's --image-size
    try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
}

/// The notes already written by this process.
private final class NoteLog: @unchecked Sendable {
    static let shared = NoteLog()
    private var written: Set<String> = []
    private let lock = NSLock()

    /// Whether `line` is new (and from now on, written).
    func first(_ line: String) -> Bool { lock.withLock { written.insert(line).inserted } }
}

/// Checks a size flag against a sane range, so no size reaches an allocation or an overflow unchecked.
func bounded(_ value: Int, _ flag: String, _ range: ClosedRange<Int>) throws {
    guard range.contains(value) else {
        throw ValidationError("\(flag): expected \(range.lowerBound)…\(range.upperBound), got \(value)")
    }
}

/// Refuses an output file that cannot be written (no such folder, a read-only one, a folder by that name) before
/// the command's work, not after it.
func checkWritable(_ out: String, flag: String = "--out") throws {
    do { try AtomicFile.checkWritable(URL(fileURLWithPath: out)) } catch let error as LatentError {
        throw ValidationError("\(flag): \(error.message)")
    }
}

/// Refuses an output file that is one of the command's inputs (`latent pca codes.csv --out codes.csv`) or lies
/// inside an input folder (a picture written among the training pictures would join them).
func refuseOverwriting(_ out: String, inputs: [String?], flag: String = "--out") throws {
    try checkWritable(out, flag: flag)
    func resolved(_ path: String) -> String { URL(fileURLWithPath: path).canonicalPath }
    let target = resolved(out)
    for case let input? in inputs {
        let path = resolved(input)
        if path == target {
            throw ValidationError("\(flag): \(out) is also an input of this command; write to another file")
        }
        if target.hasPrefix(path.hasSuffix("/") ? path : path + "/") {
            throw ValidationError("\(flag): \(out) is inside \(input), an input of this command; write elsewhere")
        }
    }
}

extension DataOptions {
    /// Refuses an output that would overwrite the data this command reads for `loaded` — the `--data` file, or
    /// without it the file recorded in the checkpoint — or land inside its picture folder.
    func refuseOverwriting<M>(_ out: String, for loaded: ModelStore.Loaded<M>, flag: String = "--out") throws {
        let recorded = given ? [] : [loaded.data?.file, loaded.data?.testFile]
        try LatentCLI.refuseOverwriting(out, inputs: [dataFile, testDataFile] + recorded, flag: flag)
    }
}

/// Set on processes other than process 0 of an MPI job: they print nothing but errors.
nonisolated(unsafe) var quietProcess = false

/// Set by commands printing `--json`: their human-readable lines go to stderr, so stdout holds only JSON.
nonisolated(unsafe) var humanLinesToStderr = false

/// Writes a line to standard output at once (no buffering, so progress shows up in pipes and logs).
func say(_ line: String) {
    guard !quietProcess else { return }
    try? (humanLinesToStderr ? FileHandle.standardError : FileHandle.standardOutput).write(
        contentsOf: Data((line + "\n").utf8))
}

extension CSVFormat.Header: ExpressibleByArgument {}

/// A progress bar for decoding a folder of pictures.
func decoding() -> (Int, Int) -> Void {
    let bar = ProgressReporter(live: ProgressReporter.stderrIsTerminal)
    return { done, total in
        bar.update("decoding pictures", done: done, total: total)
        if done == total { bar.clear() }
    }
}
