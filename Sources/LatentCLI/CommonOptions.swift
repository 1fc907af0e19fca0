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
            "Dataset name: mnist (bundled) or fashion-mnist (downloaded once and MD5-checked, or read from --data-dir)."
    )
    var dataset: String?

    @Option(
        name: .customLong("data"),
        help: ArgumentHelp(
            """
            Your own table instead of a dataset: a .csv (header optional), .npy or .npz file (.npz: array x, \
            labels y), one example per row; every 10th row is the test split.
            """,
            valueName: "file"))
    var dataFile: String?

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
            throw ValidationError("--dataset: unknown dataset '\(dataset)' (expected mnist or fashion-mnist)")
        }
        if let delimiter, delimiter != "tab" && delimiter.count != 1 {
            throw ValidationError("--delimiter: expected one character or 'tab', got '\(delimiter)'")
        }
        if dataset != nil && dataFile != nil {
            throw ValidationError("--dataset and --data name two sources; give one")
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

    /// Whether the flags name a source (otherwise a model's recorded training data is used).
    var given: Bool { dataset != nil || dataFile != nil }

    /// The data for a saved model: the flags' source if given (with a note when the model was trained on other
    /// data), else the data recorded in its checkpoint (MNIST for checkpoints without a record).
    func source<M>(for loaded: ModelStore.Loaded<M>) throws -> DataSource {
        guard let recorded = loaded.data else { return source }
        guard given else {
            if recorded.dataset != "mnist" { note("using the model's training data: \(recorded.summary)") }
            if !recorded.fileUnchanged { note("note: \(recorded.file ?? "") has changed since the model was trained") }
            return recorded.source(directory: directory)
        }
        let mine = DataProvenance(source)
        if mine.dataset != recorded.dataset || mine.sha256 != recorded.sha256 {
            note("note: the model was trained on \(recorded.summary); using \(mine.summary)")
        }
        return source
    }

    /// The source these flags name.
    var source: DataSource {
        if let dataFile {
            return .table(URL(fileURLWithPath: dataFile), labelColumn: labelColumn, csv: csvFormat)
        }
        return .named(dataset ?? "mnist", directory: directory)
    }

    /// One split of the source (download notes on stderr).
    func load(_ split: Split) throws -> Dataset { try source.load(split, notes: note) }

    /// Every example in order: all rows of a --data file, or a dataset's train then test split.
    func loadAll() throws -> Dataset { try source.loadAll(notes: note) }

    /// A split prepared for a saved model (`TrainingData.forModel`): its feature scaling applied, its input size
    /// checked, and for a model trained with dynamic binarisation the test split binarised with the fixed seed.
    func load<M>(_ split: Split, for loaded: ModelStore.Loaded<M>, binarizeTest: Bool = true) throws -> Dataset {
        let raw = try source(for: loaded).load(split, notes: note)
        do {
            let set = try TrainingData.forModel(loaded.config, scaling: loaded.scaling, raw)
            return binarizeTest && split == .test ? TrainingData.binarizedIfNeeded(set, loaded.config) : set
        } catch let error as LatentError where raw.featureCount != loaded.config.inputSize {
            // Data of another shape: name the data the model was trained on and the flag that selects it.
            guard let recorded = loaded.data else { throw error }
            let flag = recorded.file.map { "--data \($0)" } ?? "--dataset \(recorded.dataset ?? "mnist")"
            throw ValidationError(
                "\(ErrorMessages.line(for: error)); the model was trained on \(recorded.summary): pass \(flag)")
        }
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

/// Writes a line to standard error (notes that are not results).
func note(_ line: String) {
    try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
}

/// Checks a size flag against a sane range, so no size reaches an allocation or an overflow unchecked.
func bounded(_ value: Int, _ flag: String, _ range: ClosedRange<Int>) throws {
    guard range.contains(value) else {
        throw ValidationError("\(flag): expected \(range.lowerBound)…\(range.upperBound), got \(value)")
    }
}

/// Refuses an output file that is one of the command's inputs (`latent pca codes.csv --out codes.csv`).
func refuseOverwriting(_ out: String, inputs: [String?]) throws {
    func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
    for case let input? in inputs where resolved(input) == resolved(out) {
        throw ValidationError("--out: \(out) is also an input of this command; write to another file")
    }
}

/// Set by commands printing `--json`: their human-readable lines go to stderr, so stdout holds only JSON.
nonisolated(unsafe) var humanLinesToStderr = false

/// Writes a line to standard output at once (no buffering, so progress shows up in pipes and logs).
func say(_ line: String) {
    try? (humanLinesToStderr ? FileHandle.standardError : FileHandle.standardOutput).write(
        contentsOf: Data((line + "\n").utf8))
}

extension CSVFormat.Header: ExpressibleByArgument {}
