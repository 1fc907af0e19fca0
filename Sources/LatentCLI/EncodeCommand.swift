import ArgumentParser
import Foundation
import Latent

/// `latent encode`: the codes (AE) or posterior means (VAE) of a dataset split, with labels.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Write codes/latent means plus labels: .npy (float32 [N, D+1], label last) or .csv (z0…, label).",
        discussion:
            "Data without labels (a table without a label column, a flat picture folder) gives [N, D] and z0… only.")
    @Argument(help: "Run directory written by `latent train`.") var directory: String
    @Option(help: "Split: train, test, or all (every example in file order: a --data table's rows as they are).")
    var split: String = "test"
    @Option(help: "Output file, .npy or .csv.") var out: String
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        try refuseOverwriting(out, inputs: [data.dataFile, data.testDataFile])
        guard Split(rawValue: split) != nil || split == "all" else {
            throw ValidationError("--split: expected train, test or all, got '\(split)'")
        }
        guard out.hasSuffix(".npy") || out.hasSuffix(".csv") else {
            throw ValidationError("--out: expected a .npy or .csv file name, got '\(out)'")
        }
    }

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        try data.refuseOverwriting(out, for: loaded)
        let set = try data.load(split: split, for: loaded)
        let (values, columns) = Codes.table(loaded.model, set)
        let d = loaded.model.config.latent
        let file = RowsFile.labelledTable(values, columns: columns, classNames: set.classNames, format: out)
        try AtomicFile.write(file, to: URL(fileURLWithPath: out))
        say(
            "wrote \(out): \(set.count) rows of \(d) code value\(d == 1 ? "" : "s")"
                + (set.isLabelled ? " and a label" : " (no labels)"))
    }
}
