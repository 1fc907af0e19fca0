import ArgumentParser
import Foundation
import Latent

/// `latent decode`: images of codes from a file (the inverse of `latent encode`).
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode codes (.npy/.csv, as `latent encode` writes them) into images: .npy/.csv rows or a .png grid."
    )
    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @Argument(help: "Codes file: .npy or .csv, one code per row (a label column is used by a conditional model).")
    var codes: String
    @Option(help: "Output: .npy (float32 [N, features]; a table's rows in its own units), .csv or .png.")
    var out: String
    @Option(help: "The codes file's label column (header name, 0-based index, last, none or auto).")
    var labelColumn = "auto"
    @Option(
        help:
            "A conditional model: decode every code with this class, number or name (default: the file's label column)."
    )
    var label: String?
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        try refuseOverwriting(out, inputs: [codes])
        guard [".npy", ".csv", ".png"].contains(where: { out.hasSuffix($0) }) else {
            throw ValidationError("--out: expected a .npy, .csv or .png file name, got '\(out)'")
        }
        guard codes.hasSuffix(".npy") || codes.hasSuffix(".csv") else {
            throw ValidationError("\(codes): expected a .npy or .csv codes file")
        }
    }

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        let (table, labelled) = try TableDataset.codes(URL(fileURLWithPath: codes), labelColumn: labelColumn)
        // Pictures of a table show its scaled features; numbers come back in the table's own units (RowsFile).
        let label = try label.map { try ClassLabel.number($0, for: loaded.config, names: loaded.data?.classes) }
        let images = try Codes.decode(loaded.model, codes: table, labelled: labelled, label: label)
        let n = images.shape[0], c = loaded.config
        let what = "\(n) decoded \(c.imageHeight == 1 ? "rows" : "images")"
        guard !out.hasSuffix(".png") else {
            let png = try ImageGrid.png(
                images, height: c.imageHeight, width: c.imageWidth, channels: c.channels,
                columns: Int(Double(n).squareRoot().rounded(.up)), scale: 2)
            try AtomicFile.write(png, to: URL(fileURLWithPath: out))
            return say("wrote \(out): \(what)")
        }
        let file = try RowsFile.encode(images, loaded: loaded, labels: nil, format: out)
        try AtomicFile.write(file.data, to: URL(fileURLWithPath: out))
        say("wrote \(out): \(what)\(file.units)")
    }
}
