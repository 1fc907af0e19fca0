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
    var dataset: String = "mnist"

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
        help: "With --data: the column holding class labels (a header name, a 0-based index, or last); default none.")
    var labelColumn: String?

    func validate() throws {
        guard DataSource.datasetNames.contains(dataset) else {
            throw ValidationError("--dataset: unknown dataset '\(dataset)' (expected mnist or fashion-mnist)")
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

    /// The source these flags name.
    var source: DataSource {
        if let dataFile { return .table(URL(fileURLWithPath: dataFile), labelColumn: labelColumn) }
        return .named(dataset, directory: directory)
    }

    /// One split of the source (download notes on stderr).
    func load(_ split: Split) throws -> Dataset { try source.load(split, notes: note) }

    /// Every example in order: all rows of a --data file, or a dataset's train then test split.
    func loadAll() throws -> Dataset { try source.loadAll(notes: note) }

    /// A split prepared for a saved model (`TrainingData.forModel`): its feature scaling applied, its input size
    /// checked, and for a model trained with dynamic binarisation the test split binarised with the fixed seed.
    func load<M>(_ split: Split, for loaded: ModelStore.Loaded<M>, binarizeTest: Bool = true) throws -> Dataset {
        let set = try TrainingData.forModel(loaded.config, scaling: loaded.scaling, try load(split))
        return binarizeTest && split == .test ? TrainingData.binarizedIfNeeded(set, loaded.config) : set
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
        if let threads, threads < 1 { throw ValidationError("--threads: expected a positive number, got \(threads)") }
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
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes a line to standard output at once (no buffering, so progress shows up in pipes and logs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
