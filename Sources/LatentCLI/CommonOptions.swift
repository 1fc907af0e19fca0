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
        guard ["mnist", "fashion-mnist"].contains(dataset) else {
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

    func load(_ split: Split) throws -> Dataset {
        if let dataFile {
            let url = URL(fileURLWithPath: dataFile)
            guard ["csv", "npy", "npz"].contains(url.pathExtension.lowercased()) else {
                throw ValidationError("--data: expected a .csv, .npy or .npz file, got '\(dataFile)'")
            }
            let all = try TableDataset.load(url, labelColumn: labelColumn)
            guard all.count >= 10 else {
                throw ValidationError(
                    """
                    --data: \(dataFile) has \(all.count) rows; at least 10 are needed (every 10th row is the test \
                    split)
                    """
                )
            }
            return TableDataset.split(all, split)
        }
        var directory = self.directory
        if dataset != "mnist" && directory == nil, let known = DownloadableDataset.known[dataset] {
            // Fetched once into the cache (or from $LATENT_DATASET_MIRROR), each file checked by MD5.
            try known.ensure(
                in: known.cacheDirectory, mirror: ProcessInfo.processInfo.environment["LATENT_DATASET_MIRROR"]
            ) {
                FileHandle.standardError.write(Data("\($0)\n".utf8))
            }
            directory = known.cacheDirectory
        }
        return try MNIST.load(split, directory: directory, name: dataset)
    }

    /// Every example in order: all rows of a --data file, or a dataset's train then test split.
    func loadAll() throws -> Dataset {
        if let dataFile { return try TableDataset.load(URL(fileURLWithPath: dataFile), labelColumn: labelColumn) }
        let train = try load(.train), test = try load(.test)
        return train.subset(Array(0..<train.count), name: "\(dataset)-all").appending(test)
    }

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

/// Writes a line to standard output at once (no buffering, so progress shows up in pipes and logs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
