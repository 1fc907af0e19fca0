import ArgumentParser
import Foundation
import Latent

/// The rows an embedding command works on: a codes file (.npy/.csv, as `latent encode` writes them) or a
/// dataset split, with labels when they are known.
struct EmbeddingInput: ParsableArguments {
    @Argument(help: "Codes file (.npy or .csv, e.g. from `latent encode`); omit to use --dataset.") var input: String?
    @Option(help: "Label column of the codes file: auto (a CSV column named 'label'; for NPY the last column, as `latent encode` writes it), none, last, or a 0-based index.")
    var labelColumn: String = "auto"
    @Option(help: "Dataset split when no file is given: train, test or all.") var split: String = "test"
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard ["train", "test", "all"].contains(split) else { throw ValidationError("--split: expected train, test or all, got '\(split)'") }
        if let input, !(input.hasSuffix(".npy") || input.hasSuffix(".csv")) {
            throw ValidationError("\(input): expected a .npy or .csv codes file")
        }
    }

    /// The rows, their labels (nil when unknown), and a name for titles.
    func load() throws -> (x: Tensor, labels: [Int]?, name: String, isDataset: Bool) {
        guard let input else {
            let splits: [Split] = split == "all" ? [.train, .test] : [Split(rawValue: split)!]
            let sets = try splits.map { try data.load($0) }
            let features = sets[0].featureCount, n = sets.reduce(0) { $0 + $1.count }
            let x = Tensor(uninitialized: [n, features])
            var row = 0
            for set in sets {
                let part = set.batch(0..<set.count)
                (x.data + row * features).update(from: part.data, count: part.count)
                row += set.count
            }
            return (x, sets.flatMap { $0.labels.map(Int.init) }, "\(data.dataset)-\(split)", true)
        }
        var table = try ArrayReaders.read(URL(fileURLWithPath: input))
        var labelIndex: Int? = nil
        switch labelColumn {
        case "none": labelIndex = nil
        case "last": labelIndex = table.columns - 1
        case "auto":
            if let header = table.header { labelIndex = header.firstIndex(of: "label") }
            else if input.hasSuffix(".npy") { labelIndex = table.columns - 1 }
        default:
            guard let c = Int(labelColumn), c >= 0 && c < table.columns else {
                throw ValidationError("--label-column: expected auto, none, last or 0…\(table.columns - 1), got '\(labelColumn)'")
            }
            labelIndex = c
        }
        var labels: [Int]? = nil
        if let c = labelIndex {
            guard table.columns >= 2 else { throw ValidationError("\(input): a label column leaves no features (the file has 1 column); pass --label-column none") }
            let column = table.column(c)
            guard let bad = column.firstIndex(where: { $0 < 0 || $0 != $0.rounded() || $0 > 10_000 }) == nil ? nil : column.first(where: { $0 < 0 || $0 != $0.rounded() || $0 > 10_000 }) else {
                labels = column.map { Int($0) }
                table = table.removingColumn(c)
                return (Tensor(table.values, shape: [table.rows, table.columns]), labels, URL(fileURLWithPath: input).lastPathComponent, false)
            }
            throw ValidationError("\(input): label column \(c) holds \(bad), expected class numbers 0, 1, 2…; pass --label-column none if the file has no labels")
        }
        return (Tensor(table.values, shape: [table.rows, table.columns]), labels, URL(fileURLWithPath: input).lastPathComponent, false)
    }
}

/// The rows of an embedding with their labels, written as .npy/.csv (label last) or drawn as a scatter.
func writeEmbedding(_ y: Tensor, labels: [Int]?, to out: String, title: String, axis: String) throws {
    let n = y.shape[0], d = y.shape[1]
    if out.hasSuffix(".npy") || out.hasSuffix(".csv") {
        let columns = d + (labels == nil ? 0 : 1)
        var values = [Float](repeating: 0, count: n * columns)
        for i in 0..<n {
            for j in 0..<d { values[i * columns + j] = y[i, j] }
            if let labels { values[i * columns + d] = Float(labels[i]) }
        }
        let names = (0..<d).map { "\(axis)\($0)" } + (labels == nil ? [] : ["label"])
        let file = out.hasSuffix(".npy") ? ArrayWriters.npy(values, rows: n, columns: columns)
            : ArrayWriters.csv(values, rows: n, columns: columns, header: names)
        try AtomicFile.write(file, to: URL(fileURLWithPath: out))
    } else {
        guard let format = PictureFormat(path: out) else { throw ValidationError("--out: expected .png, .svg, .pdf, .npy or .csv, got '\(out)'") }
        let panel = Plots.Panel(x: (0..<n).map { y[$0, 0] }, y: (0..<n).map { y[$0, 1] }, xLabel: "\(axis)1", yLabel: "\(axis)2")
        try AtomicFile.write(try Plots.scatter([panel], labels: labels, title: title, format: format), to: URL(fileURLWithPath: out))
    }
    say("wrote \(out)")
}

/// Checks an --out name for an embedding.
func validateEmbeddingOutput(_ out: String) throws {
    guard [".png", ".svg", ".pdf", ".npy", ".csv"].contains(where: { out.hasSuffix($0) }) else {
        throw ValidationError("--out: expected a .png, .svg, .pdf, .npy or .csv file name, got '\(out)'")
    }
}
