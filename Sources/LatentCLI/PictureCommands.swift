import ArgumentParser
import Foundation
import Latent

/// Options of commands that read a saved model and write a picture.
struct ModelPictureOptions: ParsableArguments {
    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @Option(help: "Output PNG file.") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out: expected a .png file name, got '\(out)'") }
    }

    func load(_ kinds: Set<ModelKind>) throws -> ModelStore.Loaded {
        threads.apply()
        return try ModelStore.load(URL(fileURLWithPath: directory), expecting: kinds)
    }

    func write(_ images: Tensor, _ config: ModelConfig, columns: Int) throws {
        let png = try ImageGrid.png(images, height: config.imageHeight, width: config.imageWidth, columns: columns, scale: 3)
        try AtomicFile.write(png, to: URL(fileURLWithPath: out))
        say("wrote \(out)")
    }
}

let reconstructingKinds: Set<ModelKind> = [.ae, .sae, .dae, .vae, .cvae, .iwae]

/// `latent sample`: images from the prior of a VAE or CVAE.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample",
        abstract: "Decode samples from the prior (a CVAE: of --label, or one row per class).")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Number of images (default 64; for a CVAE without --label, 10 per class).") var count: Int?
    @Option(help: "CVAE: the class to generate.") var label: Int?

    func run() throws {
        let loaded = try options.load([.vae, .cvae, .iwae])
        guard let vae = loaded.model as? VariationalAutoencoder else { return }
        let c = vae.config
        if let count, count < 1 { throw ValidationError("--count: expected a positive number, got \(count)") }
        if let label {
            guard c.isConditional else { throw ValidationError("--label: \(options.directory) holds an unconditional vae; --label needs a cvae") }
            guard label >= 0 && label < c.classes else { throw ValidationError("--label: expected 0…\(c.classes - 1), got \(label)") }
        }
        var rng = RandomGenerator(seed: options.seed, stream: RandomStream.pictures.rawValue)
        let labels: [Int], columns: Int
        if c.isConditional && label == nil {
            let perClass = max(1, (count ?? c.classes * 10) / c.classes)
            labels = Pictures.labelRows(classes: c.classes, perClass: perClass)
            columns = perClass
        } else {
            labels = Array(repeating: label ?? 0, count: count ?? 64)
            columns = Int(Double(labels.count).squareRoot().rounded(.up))
        }
        try options.write(vae.sample(labels: labels, rng: &rng), c, columns: columns)
    }
}

/// `latent reconstruct`: test images above their reconstructions.
struct ReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reconstruct", abstract: "Test images (rows 1, 3, …) above their reconstructions.")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Number of test images.") var count: Int = 32
    @Option(help: "Images per row.") var columns: Int = 16

    func run() throws {
        guard count > 0, columns > 0 else { throw ValidationError("--count and --columns must be positive") }
        let loaded = try options.load(reconstructingKinds)
        guard let model = loaded.model as? any ReconstructingModel else { return }
        let test = try options.data.load(.test, for: loaded, directory: options.directory, binarizeTest: false)
        let n = min(count, test.count)
        let x = test.batch(0..<n)
        let rows = Pictures.interleaveRows([x, model.reconstruct(x, labels: test.labels[0..<n].map(Int.init))], columns: columns)
        try options.write(rows, model.config, columns: columns)
    }
}

/// `latent denoise`: corrupt test images, reconstruct them, report PSNR over the whole test set.
struct DenoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "denoise",
        abstract: "Rows noisy / denoised / clean; prints mean PSNR (dB) of noisy and denoised test images.")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Corruption: gaussian:σ, mask:p or salt-pepper:p (default: the model's training noise).") var noise: String?
    @Option(help: "Images in the picture.") var count: Int = 16

    func run() throws {
        let loaded = try options.load(reconstructingKinds)
        guard let model = loaded.model as? any ReconstructingModel else { return }
        guard let corruption = try noise.map(Corruption.init(parsing:)) ?? model.config.noise else {
            throw ValidationError("--noise: the model was not trained with noise; give one (e.g. gaussian:0.5)")
        }
        let test = try options.data.load(.test, for: loaded, directory: options.directory, binarizeTest: false)
        let psnr = Evaluation.denoisingPSNR(model, noise: corruption, on: test, seed: options.seed)
        say(String(format: "%@ on %d test images: PSNR noisy %.2f dB, denoised %.2f dB (+%.2f dB)",
                   corruption.description, test.count, psnr.noisy, psnr.denoised, psnr.denoised - psnr.noisy))
        var rng = RandomGenerator(seed: options.seed, stream: RandomStream.pictures.rawValue)
        try options.write(Pictures.denoisingRows(model, noise: corruption, test: test, columns: max(1, count), rng: &rng),
                          model.config, columns: max(1, count))
    }
}

/// `latent interpolate`: the decoded straight path between two test images' codes.
struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "interpolate", abstract: "Decode the straight line between two test images' codes.")
    @OptionGroup var options: ModelPictureOptions
    @Option(help: "Index of the first test image.") var from: Int
    @Option(help: "Index of the second test image.") var to: Int
    @Option(help: "Images along the path, ends included.") var steps: Int = 10

    func run() throws {
        guard steps >= 2 else { throw ValidationError("--steps: expected at least 2, got \(steps)") }
        let loaded = try options.load(reconstructingKinds)
        guard let model = loaded.model as? any ReconstructingModel else { return }
        let test = try options.data.load(.test, for: loaded, directory: options.directory, binarizeTest: false)
        for (flag, i) in [("--from", from), ("--to", to)] where i < 0 || i >= test.count {
            throw ValidationError("\(flag): expected a test image index 0…\(test.count - 1), got \(i)")
        }
        let x = Tensor(uninitialized: [2, test.featureCount])
        test.fill(x, indices: [from, to])
        let labels = [Int(test.labels[from]), Int(test.labels[to])]
        let codes = model.encode(x, labels: labels)
        let d = codes.shape[1]
        let path = Tensor(uninitialized: [steps, d])
        for s in 0..<steps {
            let t = Float(s) / Float(steps - 1)
            for j in 0..<d { path[s, j] = (1 - t) * codes[0, j] + t * codes[1, j] }
        }
        // A CVAE decodes the whole path with the first image's label.
        try options.write(model.decode(path, labels: Array(repeating: labels[0], count: steps)), model.config, columns: steps)
    }
}
