import ArgumentParser
import Foundation
import Latent

/// `latent plot`: figures of a trained model, drawn with Cairo (PNG, or SVG/PDF by the file name).
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Draw a figure of a trained model.",
        subcommands: [PlotLatent.self, PlotManifold.self, PlotTraversal.self, PlotCurves.self])
}

/// Output file option shared by the plots.
struct FigureOutput: ParsableArguments {
    @Option(help: "Output file: .png, .svg or .pdf.") var out: String

    func validate() throws {
        guard PictureFormat(path: out) != nil else {
            throw ValidationError("--out: expected a .png, .svg or .pdf file name, got '\(out)'")
        }
        try checkWritable(out)
    }

    func write(_ data: Data) throws {
        try AtomicFile.write(data, to: URL(fileURLWithPath: out))
        say("wrote \(out)")
    }

    var format: PictureFormat { PictureFormat(path: out)! }
}

struct PlotLatent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latent",
        abstract: "Scatter of the codes coloured by label (2-d codes directly, otherwise a projection).")
    @Argument(help: "Run directory.") var directory: String
    @Option(help: "Split: train or test.") var split: String = "test"
    @Option(help: "Projection for codes of more dimensions than drawn: pca or tsne.") var method: String = "pca"
    @Option(help: "2, or 3 for the xy, xz and yz projections side by side.") var dims: Int = 2
    @OptionGroup var output: FigureOutput
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard Split(rawValue: split) != nil else {
            throw ValidationError("--split: expected train or test, got '\(split)'")
        }
        guard dims == 2 || dims == 3 else { throw ValidationError("--dims: expected 2 or 3, got \(dims)") }
        guard let projection = Figures.Projection(rawValue: method) else {
            throw ValidationError("--method: expected pca or tsne, got '\(method)'")
        }
        guard projection == .pca || dims == 2 else {
            throw ValidationError("--dims 3 needs --method pca (t-SNE draws 2 dimensions)")
        }
    }

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        try data.refuseOverwriting(output.out, for: loaded)
        let set = try data.load(Split(rawValue: split)!, for: loaded, binarizeTest: false)
        try output.write(
            try Figures.latentScatter(
                loaded.model, on: set, dims: dims, projection: Figures.Projection(rawValue: method)!,
                threads: threads.count, format: output.format))
    }
}

struct PlotManifold: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifold",
        abstract: "Decoded images over a grid of a 2-d latent space (inverse-Gaussian-CDF spacing).")
    @Argument(help: "Run directory of a variational model with --latent 2.") var directory: String
    @Option(help: "Images per side.") var grid: Int = 20
    @Option(help: "A conditional model: the class to decode, its number or name (default 0).") var label: String?
    @OptionGroup var output: FigureOutput
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        guard grid >= 2 && grid <= 100 else { throw ValidationError("--grid: expected 2…100, got \(grid)") }
        threads.apply()
        let loaded = try ModelStore.loadVAE(URL(fileURLWithPath: directory)), vae = loaded.model
        guard vae.config.latent == 2 else {
            throw ValidationError(
                """
                \(directory): the manifold needs a 2-d latent space (train with --latent 2); this model's is \
                \(vae.config.latent)-d
                """
            )
        }
        let label = try label.map { try ClassLabel.number($0, for: vae.config, names: loaded.data?.classes) }
        try output.write(try Figures.manifold(vae, grid: grid, label: label ?? 0, format: output.format))
    }
}

struct PlotTraversal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traversal",
        abstract: "Each code dimension varied alone around one image's code, decoded: one row per dimension.")
    @Argument(help: "Run directory.") var directory: String
    @Option(help: "The test image whose code is traversed (its index).") var image: Int = 0
    @Option(help: "How far to go each way: prior units (variational), else standard deviations.") var range = 3.0
    @Option(help: "Images per row.") var steps: Int = 10
    @OptionGroup var output: FigureOutput
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        try bounded(steps, "--steps", 2...50)
        try bounded(image, "--image", 0...Int.max)
        guard range.isFinite, range > 0, range <= 100 else {
            throw ValidationError("--range: expected a number in (0, 100], got \(range)")
        }
    }

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        let test = try data.load(.test, for: loaded)
        guard image < test.count else {
            throw ValidationError("--image: expected a test image index 0…\(test.count - 1), got \(image)")
        }
        let (figure, order) = try Figures.traversal(
            loaded.model, data: test, index: image, range: range, steps: steps, format: output.format)
        try output.write(figure)
        say("rows: " + order.map { "z\($0)" }.joined(separator: ", "))
    }
}

struct PlotCurves: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curves", abstract: "Train and test loss per epoch from metrics.jsonl, and the loss terms.")
    @Argument(help: "Run directory.") var directory: String
    @OptionGroup var output: FigureOutput

    func run() throws {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("metrics.jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("\(url.path): no such file (train writes it)")
        }
        let metrics = try EpochMetrics.read(url)
        guard !metrics.isEmpty else { throw ValidationError("\(url.path): no epochs recorded") }
        try output.write(try EpochMetrics.curves(metrics, format: output.format))
    }
}
