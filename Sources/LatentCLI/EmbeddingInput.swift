import ArgumentParser
import Foundation
import Latent

/// The rows an embedding command works on: a codes file (.npy/.csv, as `latent encode` writes them) or a
/// dataset split, with labels when they are known. One `--label-column` (DataOptions') serves both: for a codes
/// file its default is auto (a CSV column named label; for NPY the last column, as `latent encode` writes it).
struct EmbeddingInput: ParsableArguments {
    @Argument(help: "Codes file (.npy or .csv, e.g. from `latent encode`); omit to use --dataset.") var input: String?
    @Option(help: "Dataset split when no file is given: train, test or all.") var split: String = "test"
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard ["train", "test", "all"].contains(split) else {
            throw ValidationError("--split: expected train, test or all, got '\(split)'")
        }
        // A number is the value of a flag this command does not have (`--limit 2000`): the parser names the flag.
        if let input, Double(input) == nil, !(input.hasSuffix(".npy") || input.hasSuffix(".csv")) {
            let run = FileManager.default.fileExists(atPath: "\(input)/model.safetensors")
            throw ValidationError(
                run
                    ? "\(input): a run directory; write its codes first (latent encode \(input) --out codes.npy)"
                    : "\(input): expected a .npy or .csv codes file")
        }
    }

    /// The rows, their labels (nil when unknown), and a name for titles.
    func load() throws -> (x: Tensor, labels: [Int]?, name: String, isDataset: Bool, classNames: [String]?) {
        guard let input else {
            let set = split == "all" ? try data.loadAll() : try data.load(Split(rawValue: split)!)
            return (
                set.batch(0..<set.count), set.knownLabels, "\(data.sourceName)-\(split)", true, set.classNames
            )
        }
        let url = URL(fileURLWithPath: input)
        let (set, labelled) = try TableDataset.codes(url, labelColumn: data.labelColumn ?? "auto")
        if labelled && data.labelColumn == nil && set.featureNames == nil {
            let classes = Set(set.labels).count, name = url.lastPathComponent
            note("\(name): its last column read as labels (\(classes) classes); --label-column none reads it as a code")
        }
        return (
            set.batch(0..<set.count), labelled ? set.labels.map(Int.init) : nil, url.lastPathComponent, false,
            set.classNames
        )
    }
}

/// The rows of an embedding with their labels, written as .npy/.csv (label last) or drawn as a scatter.
func writeEmbedding(
    _ y: Tensor, labels: [Int]?, classNames: [String]? = nil, to out: String, title: String, axis: String
) throws {
    let n = y.shape[0]
    if out.hasSuffix(".npy") || out.hasSuffix(".csv") {
        let (values, names) = Codes.table(y, labels: labels, prefix: axis)
        let file = RowsFile.labelledTable(
            values, columns: names, classNames: labels == nil ? nil : classNames, format: out)
        try AtomicFile.write(file, to: URL(fileURLWithPath: out))
    } else {
        guard let format = PictureFormat(path: out) else {
            throw ValidationError("--out: expected .png, .svg, .pdf, .npy or .csv, got '\(out)'")
        }
        let panel = Plots.Panel(
            x: (0..<n).map { y[$0, 0] }, y: (0..<n).map { y[$0, 1] }, xLabel: "\(axis)1", yLabel: "\(axis)2")
        try AtomicFile.write(
            try Plots.scatter([panel], labels: labels, classNames: classNames, title: title, format: format),
            to: URL(fileURLWithPath: out))
    }
    say("wrote \(out)")
}

/// Checks an --out name for an embedding.
func validateEmbeddingOutput(_ out: String) throws {
    guard [".png", ".svg", ".pdf", ".npy", ".csv"].contains(where: { out.hasSuffix($0) }) else {
        throw ValidationError("--out: expected a .png, .svg, .pdf, .npy or .csv file name, got '\(out)'")
    }
}
