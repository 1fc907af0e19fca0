import ArgumentParser
import Foundation
import Latent

/// Options of commands that read a saved model and write a picture.
struct ModelPictureOptions: ParsableArguments {
    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @Option(help: "Output PNG file (sample, reconstruct, interpolate: or .npy/.csv for the rows as numbers).")
    var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard ["png", "npy", "csv"].contains(URL(fileURLWithPath: out).pathExtension.lowercased()) else {
            throw ValidationError("--out: expected a .png, .npy or .csv file name, got '\(out)'")
        }
        try checkWritable(out)
    }

    /// Whether `--out` names a table of numbers rather than a picture.
    var writesRows: Bool { !out.lowercased().hasSuffix(".png") }

    /// For commands that only draw: refuses an `--out` that is not a PNG.
    func requirePicture() throws {
        if writesRows { throw ValidationError("--out: expected a .png file name, got '\(out)'") }
    }

    /// The run's VAE, CVAE or IWAE.
    func loadVAE() throws -> ModelStore.Loaded<VariationalAutoencoder> {
        threads.apply()
        return try ModelStore.loadVAE(URL(fileURLWithPath: directory))
    }

    /// The run's model with an encoder and decoder.
    func loadReconstructing() throws -> ModelStore.Loaded<any ReconstructingModel> {
        threads.apply()
        return try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
    }

    func write(_ images: Tensor, _ config: ModelConfig, columns: Int) throws {
        let png = try ImageGrid.png(
            images, height: config.imageHeight, width: config.imageWidth, channels: config.channels,
            columns: columns, scale: 3)
        try AtomicFile.write(png, to: URL(fileURLWithPath: out))
        say("wrote \(out)")
    }
}

/// `latent sample`: images from the prior of a generative model (a conditional one's by label), or from a mixture
/// fitted to any autoencoder's training codes.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Decode samples from the prior (a conditional model: of --label, or one row per class).")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Number of images (default 64; for a conditional model without --label, 10 per class).") var count:
        Int?
    @Option(
        help:
            """
            A conditional model: the class to generate (its number, or its name where the training data named \
            classes).
            """
    )
    var label: String?
    @Option(
        help: """
            Where codes come from: normal (N(0, I)); gmm[:K[:full|diagonal]], a Gaussian mixture (default 10 full) \
            fitted to the training codes; or for a vqvae pixelcnn[:EPOCHS], a gated PixelCNN fitted to its code \
            indices (default 10 epochs); fitted priors are saved beside the checkpoint.
            """)
    var prior = "normal"

    func run() throws {
        if prior != "normal" { return try sampleMixture(try options.loadReconstructing()) }
        let loaded = try options.loadReconstructing()
        let c = loaded.config
        guard let model = loaded.model as? any GenerativeModel else {
            throw ValidationError(
                "--prior: a \(c.kind.rawValue) has no prior of its own; sample through a prior fitted to its "
                    + "training codes: --prior gmm (a vqvae: --prior pixelcnn)")
        }
        if let count { try bounded(count, "--count", 1...100_000) }
        let label = try label.map { try ClassLabel.number($0, for: c, names: loaded.data?.classes) }
        var rng = RandomGenerator(seed: options.seed, stream: .pictures)
        let labels: [Int], columns: Int
        if c.isConditional && label == nil {
            let perClass = max(1, (count ?? c.classes * 10) / c.classes)
            labels = Pictures.labelRows(classes: c.classes, perClass: perClass)
            columns = perClass
        } else {
            labels = Array(repeating: label ?? 0, count: count ?? 64)
            columns = Int(Double(labels.count).squareRoot().rounded(.up))
        }
        try emit(
            model.sample(labels: labels, rng: &rng), loaded, labels: c.isConditional ? labels : nil, columns: columns)
    }

    /// The samples as a picture grid of `columns`, or with `--out` .npy/.csv as rows of numbers (a table's in its
    /// own units, a CVAE's class in a last column).
    func emit<M>(_ samples: Tensor, _ loaded: ModelStore.Loaded<M>, labels: [Int]?, columns: Int) throws {
        guard options.writesRows else { return try options.write(samples, loaded.config, columns: columns) }
        let file = try RowsFile.encode(samples, loaded: loaded, labels: labels, format: options.out)
        try AtomicFile.write(file.data, to: URL(fileURLWithPath: options.out))
        say("wrote \(options.out): \(samples.shape[0]) sampled rows (decoder means)\(file.units)")
    }
}

extension SampleCommand {
    /// `--prior gmm[:K[:full|diagonal]]`.
    func sampleMixture(_ loaded: ModelStore.Loaded<any ReconstructingModel>) throws {
        do { _ = try CodePrior(parsing: prior) } catch let e as LatentError {
            throw ValidationError("--prior: \(e.message)")
        }
        if label != nil { throw ValidationError("--label: the \(prior) prior is for unconditional models") }
        let count = count ?? 64
        try bounded(count, "--count", 1...100_000)
        try options.data.refuseOverwriting(options.out, for: loaded)
        let codes = try CodePrior(parsing: prior).codes(
            for: loaded, count: count, seed: options.seed,
            train: { try options.data.load(.train, for: loaded, binarizeTest: false) },
            directory: runDirectory(options.directory), notes: note)
        try emit(
            loaded.model.decode(codes), loaded, labels: nil, columns: Int(Double(count).squareRoot().rounded(.up)))
    }
}

/// `path` if it is a directory (a run directory, where a fitted prior is saved), else nil (a .safetensors file).
func runDirectory(_ path: String) -> URL? {
    var isDirectory: ObjCBool = false
    let url = URL(fileURLWithPath: path)
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        ? url : nil
}

/// `latent reconstruct`: test images above their reconstructions, or with `--out` .csv/.npy every example's
/// reconstruction as a row of numbers.
struct ReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: """
            Test images (rows 1, 3, …) above their reconstructions; with --out .csv/.npy, each example's \
            reconstruction as a row (a table's in its own units).
            """)
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Number of examples (default: 32 in a picture, the whole split in a table).") var count: Int?
    @Option(help: "Images per row.") var columns: Int = 16
    @Option(help: "Split: train, test, or all (every example in file order: a --data table's rows as they are).")
    var split: String = "test"

    func validate() throws {
        guard ["train", "test", "all"].contains(split) else {
            throw ValidationError("--split: expected train, test or all, got '\(split)'")
        }
        try refuseOverwriting(options.out, inputs: [options.data.dataFile, options.data.testDataFile])
    }

    func run() throws {
        if let count { try bounded(count, "--count", 1...100_000_000) }
        try bounded(columns, "--columns", 1...1000)
        let loaded = try options.loadReconstructing()
        try options.data.refuseOverwriting(options.out, for: loaded)
        let set = try options.data.load(split: split, for: loaded)
        guard options.writesRows else {
            let count = min(count ?? 32, 100_000)
            let pairs = (min(count, set.count) + columns - 1) / columns
            let rows = Pictures.reconstructionRows(
                loaded.model, test: set, columns: columns, pairs: pairs, limit: count)
            return try options.write(rows, loaded.config, columns: columns)
        }
        let chosen = count.map { set.prefix(min($0, set.count)) } ?? set
        let rows = Codes.reconstruct(loaded.model, chosen)
        let labels = chosen.knownLabels
        let file = try RowsFile.encode(rows, loaded: loaded, labels: labels, format: options.out)
        try AtomicFile.write(file.data, to: URL(fileURLWithPath: options.out))
        let rowsOf = "\(chosen.count) reconstructed row\(chosen.count == 1 ? "" : "s") of \(chosen.name)"
        say("wrote \(options.out): \(rowsOf) (decoder means)\(file.units)")
    }
}

/// `latent denoise`: corrupt test images, reconstruct them, report PSNR over the whole test set.
struct DenoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoise",
        abstract: "Rows noisy / denoised / clean; prints mean PSNR (dB) of noisy and denoised test images.")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Corruption: gaussian:σ, mask:p or salt-pepper:p (default: the model's training noise).") var noise:
        String?
    @Option(help: "Images in the picture.") var count: Int = 16
    @Flag(help: "Print one JSON object (noise, images, psnr_noisy, psnr_denoised).") var json = false

    func run() throws {
        try options.requirePicture()
        humanLinesToStderr = json
        try bounded(count, "--count", 1...1000)
        let loaded = try options.loadReconstructing()
        try options.data.refuseOverwriting(options.out, for: loaded)
        let model = loaded.model
        guard let corruption = try noise.map(Corruption.init(parsing:)) ?? (model as? DenoisingAutoencoder)?.corruption
        else {
            throw ValidationError("--noise: the model was not trained with noise; give one (e.g. gaussian:0.5)")
        }
        let test = try options.data.load(.test, for: loaded, binarizeTest: false)
        let psnr = DAE.denoisingPSNR(
            model, corrupt: { corruption.apply($0, rng: &$1) },
            forEachBatch: { body in Evaluation.forEachBatch(test) { batch, _ in body(batch) } }, count: test.count,
            features: test.featureCount, seed: options.seed)
        say(
            String(
                format: "%@ on %d test images: PSNR noisy %.2f dB, denoised %.2f dB (+%.2f dB)",
                corruption.description, test.count, psnr.noisy, psnr.denoised, psnr.denoised - psnr.noisy))
        var rng = RandomGenerator(seed: options.seed, stream: .pictures)
        try options.write(
            Pictures.denoisingRows(
                model, corrupt: { corruption.apply($0, rng: &$1) }, test: test, columns: max(1, count), rng: &rng),
            model.config, columns: max(1, count))
        if json {
            try printJSON([
                "noise": corruption.description, "images": test.count, "psnr_noisy": psnr.noisy,
                "psnr_denoised": psnr.denoised,
            ])
        }
    }
}

/// `latent interpolate`: the decoded straight path between two test images' codes.
struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate", abstract: "Decode the straight line between two test images' codes.")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Index of the first test image.") var from: Int
    @Option(help: "Index of the second test image.") var to: Int
    @Option(help: "Images along the path, ends included.") var steps: Int = 10

    func run() throws {
        try bounded(steps, "--steps", 2...1000)
        let loaded = try options.loadReconstructing()
        try options.data.refuseOverwriting(options.out, for: loaded)
        let test = try options.data.load(.test, for: loaded, binarizeTest: false)
        let path = try Codes.interpolate(loaded.model, test, from: from, to: to, steps: steps)
        guard options.writesRows else { return try options.write(path, loaded.config, columns: steps) }
        let file = try RowsFile.encode(path, loaded: loaded, labels: nil, format: options.out)
        try AtomicFile.write(file.data, to: URL(fileURLWithPath: options.out))
        say("wrote \(options.out): \(steps) rows along the path (decoder means)\(file.units)")
    }
}
