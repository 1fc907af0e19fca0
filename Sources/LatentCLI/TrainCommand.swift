import ArgumentParser
import Foundation
import Latent

/// `latent train`: trains a model and writes its checkpoint, metrics and pictures.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model and write DIR/model.safetensors, metrics.jsonl, samples.png and reconstructions.png.")

    @Option(help: "Model kind (vae).") var model: String = "vae"
    @OptionGroup var data: DataOptions
    @Option(help: "Training epochs.") var epochs: Int = 10
    @Option(name: .customLong("batch-size"), help: "Examples per training step.") var batchSize: Int = 128
    @Option(help: "Hidden layer widths, comma-separated (decoder mirrors them).") var hidden: String = "400"
    @Option(help: "Latent dimensions.") var latent: Int = 20
    @Option(help: "Hidden-layer nonlinearity.") var activation: Activation = .relu
    @Option(help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(help: "Random seed (weights, shuffling, sampling).") var seed: UInt64 = 1
    @Option(help: "Output directory.") var out: String = "runs/vae"
    @Option(help: "Use only the first N training images (quick runs).") var limit: Int?
    @Flag(name: .customLong("no-progress"), help: "Never draw the live progress bar.") var noProgress = false
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard model == "vae" else { throw ValidationError("--model: unknown model '\(model)' (expected vae)") }
        guard epochs > 0 else { throw ValidationError("--epochs: expected a positive number, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size: expected a positive number, got \(batchSize)") }
        guard latent > 0 else { throw ValidationError("--latent: expected a positive number, got \(latent)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr: expected a positive number, got \(lr)") }
        if let limit, limit < 1 { throw ValidationError("--limit: expected a positive number, got \(limit)") }
        _ = try parseSizes(hidden, flag: "--hidden")
    }

    func run() throws {
        threads.apply()
        var train = try data.load(.train)
        let test = try data.load(.test)
        if let limit { train = train.prefix(limit) }
        let config = VAEConfig(inputSize: train.featureCount, hidden: try parseSizes(hidden, flag: "--hidden"),
                               latent: latent, activation: activation,
                               imageHeight: train.height, imageWidth: train.width)
        try config.validate()
        var rng = RandomGenerator(seed: seed, stream: RandomStream.initialization.rawValue)
        let vae = VAE(config, rng: &rng)
        var options = TrainingOptions(outputDirectory: URL(fileURLWithPath: out))
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = lr
        options.seed = seed
        options.progressBar = !noProgress && ProgressReporter.stderrIsTerminal
        say("training \(VAE.kind) \(config.inputSize)-\(config.hidden.map(String.init).joined(separator: "-"))-\(config.latent) "
              + "(\(vae.parameterCount) parameters) on \(train.name) (\(train.count) images), \(BLAS.threads) BLAS threads")
        try Trainer(options: options) { say($0) }.run(vae, train: train, test: test)
    }
}
