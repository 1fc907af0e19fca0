import ArgumentParser
import Foundation
import Latent

/// `latent train`: trains a model and writes its checkpoint, metrics and pictures.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model; writes DIR/model.safetensors, metrics.jsonl and pictures (samples.png, reconstructions.png, …).")

    @Option(help: "Model: ae, sae, dae, vae, cvae, iwae or classifier.") var model: ModelKind = .vae
    @Option(help: "IWAE: importance samples per image in the training bound.") var k: Int = 5
    @Option(help: "Encoder/decoder body: mlp or conv (two stride-2 convolutions, then the dense --hidden layers).") var arch: Architecture = .mlp
    @OptionGroup var data: DataOptions
    @Option(help: "Training epochs.") var epochs: Int = 10
    @Option(name: .customLong("batch-size"), help: "Examples per training step.") var batchSize: Int = 128
    @Option(help: "Dense hidden layer widths, comma-separated (the decoder mirrors them).") var hidden: String = "400"
    @Option(help: "Latent (code) dimensions.") var latent: Int = 20
    @Option(help: "Hidden-layer nonlinearity.") var activation: Activation = .relu
    @Option(help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(help: "Random seed (weights, shuffling, sampling).") var seed: UInt64 = 1
    @Option(help: "Output directory.") var out: String = "runs/vae"
    @Option(help: "Use only the first N training images (quick runs).") var limit: Int?
    @Option(name: .customLong("free-bits"), help: "VAE: a floor in nats on each latent dimension's KL (batch average), against posterior collapse.") var freeBits: Float?
    @Option(name: .customLong("clip-grad-norm"), help: "Rescale each step's gradient to at most this L2 norm.") var clipGradNorm: Float?
    @Option(help: ArgumentHelp("Continue the run in this directory from its last epoch (weights, Adam state, random streams) up to --epochs; give the same data options as the first run.", valueName: "dir"))
    var resume: String?
    @Option(help: "Output distribution: bernoulli (cross-entropy) or gaussian (squared error).") var likelihood: Likelihood = .bernoulli
    @Option(name: .customLong("output-variance"), help: "Gaussian likelihood variance: a number, or 'learned'.") var outputVariance: String = "learned"
    @Option(help: "KL weight (β-VAE).") var beta: Float = 1
    @Option(help: "With --data: per-feature scaling fitted on the training rows and saved with the model: none, standard or minmax.") var scale: String = "none"
    @Option(name: .customLong("exclude-label"), help: "Train without the examples of this label (normal data only, for `latent anomaly`).") var excludeLabel: Int?
    @Option(help: "dynamic: redraw every training pixel as Bernoulli(intensity) each time it is seen (test set binarised once, fixed seed), for likelihoods comparable with the papers.") var binarize: String?
    @Option(name: .customLong("kl-warmup"), help: "Epochs over which the KL weight rises linearly from 0 to β.") var klWarmup: Int = 0
    @Option(name: .customLong("sparsity-target"), help: "SAE: target mean activation ρ of the sparse layer (KL penalty).") var sparsityTarget: Float = 0.05
    @Option(name: .customLong("sparsity-weight"), help: "SAE: weight of the KL(ρ‖ρ̂) penalty.") var sparsityWeight: Float = 3
    @Option(help: "SAE: use an L1 penalty of this weight on the activations instead of KL.") var l1: Float?
    @Option(help: "DAE corruption: gaussian:σ, mask:p or salt-pepper:p.") var noise: String?
    @Flag(name: .customLong("no-progress"), help: "Never draw the live progress bar.") var noProgress = false
    @Option(help: "How gradients are computed: auto (the planned step for MLP ae/vae, the graph otherwise), graph (record and differentiate a graph every step; every model) or planned.")
    var engine: TrainingEngine = .auto
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        if let clipGradNorm, !(clipGradNorm > 0 && clipGradNorm.isFinite) { throw ValidationError("--clip-grad-norm: expected a positive number, got \(clipGradNorm)") }
        guard epochs > 0 else { throw ValidationError("--epochs: expected a positive number, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size: expected a positive number, got \(batchSize)") }
        guard latent > 0 else { throw ValidationError("--latent: expected a positive number, got \(latent)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr: expected a positive number, got \(lr)") }
        if let limit, limit < 1 { throw ValidationError("--limit: expected a positive number, got \(limit)") }
        _ = try parseSizes(hidden, flag: "--hidden")
        _ = try config(inputSize: 784, height: 28, width: 28)
    }

    func config(inputSize: Int, height: Int, width: Int) throws -> ModelConfig {
        var c = ModelConfig(kind: model)
        c.arch = arch
        c.inputSize = inputSize; c.imageHeight = height; c.imageWidth = width
        c.hidden = try parseSizes(hidden, flag: "--hidden")
        c.latent = latent
        c.activation = activation
        c.likelihood = likelihood
        if outputVariance != "learned" {
            guard let v = Float(outputVariance), v > 0 else { throw ValidationError("--output-variance: expected a positive number or 'learned', got '\(outputVariance)'") }
            c.outputVariance = v
        }
        c.beta = beta
        if model == .iwae { c.importanceSamples = k }
        c.freeBits = freeBits
        if let binarize {
            guard let b = Binarization(rawValue: binarize) else { throw ValidationError("--binarize: expected dynamic, got '\(binarize)'") }
            c.binarize = b
        }
        c.klWarmupEpochs = klWarmup
        if model == .sae { c.sparsity = l1.map { Sparsity(kind: .l1, weight: $0) } ?? Sparsity(kind: .kl, target: sparsityTarget, weight: sparsityWeight) }
        if let noise { c.noise = try Corruption(parsing: noise) }
        do { try c.validate() } catch { throw ValidationError("\(error)") }
        return c
    }

    func run() throws {
        threads.apply()
        var train = try data.load(.train)
        var test = try data.load(.test)
        if let excludeLabel {
            guard train.labels.contains(UInt8(clamping: excludeLabel)), excludeLabel >= 0 else {
                throw ValidationError("--exclude-label: \(train.name) has no examples labelled \(excludeLabel)")
            }
            train = train.excluding(label: excludeLabel)
        }
        if let limit { train = train.prefix(limit) }
        if let resume { return try runResumed(URL(fileURLWithPath: resume), train: train, test: test) }
        var config = try config(inputSize: train.featureCount, height: train.height, width: train.width)
        var scaling: FeatureScaling? = nil
        if !train.isImage {
            guard let kind = FeatureScaling.Kind(rawValue: scale) else { throw ValidationError("--scale: expected none, standard or minmax, got '\(scale)'") }
            guard config.arch == .mlp else { throw ValidationError("--arch conv needs images; \(data.dataFile!) is a table (use --arch mlp)") }
            scaling = FeatureScaling.fit(kind, on: train)
            train = train.scaled(scaling!); test = test.scaled(scaling!)
            config.classes = max(2, Int(train.labels.max() ?? 0) + 1)
        } else if scale != "none" {
            throw ValidationError("--scale applies to tables given with --data; image pixels are already scaled to [0, 1]")
        }
        if config.likelihood == .bernoulli && config.kind != .classifier {
            let range = train.valueRange
            guard range.lowerBound >= 0 && range.upperBound <= 1 else {
                throw ValidationError(String(format: "%@ holds values in [%g, %g] but a Bernoulli likelihood needs data in [0, 1]: add --scale minmax, or use --likelihood gaussian (with --scale standard)",
                                             data.dataFile ?? train.name, range.lowerBound, range.upperBound))
            }
        }
        if config.binarize == .dynamic { test = test.binarized(seed: ModelConfig.testBinarizationSeed) }
        var rng = RandomGenerator(seed: seed, stream: RandomStream.initialization.rawValue)
        let net = makeModel(config, rng: &rng)
        var options = TrainingOptions(outputDirectory: URL(fileURLWithPath: out))
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = lr
        options.seed = seed
        options.progressBar = !noProgress && ProgressReporter.stderrIsTerminal
        options.threads = threads.count
        options.scaling = scaling
        options.clipGradientNorm = clipGradNorm
        options.engine = engine
        say("training \(config.kind.rawValue) (\(config.arch.rawValue), hidden \(config.hidden.map(String.init).joined(separator: ",")), "
            + "latent \(config.latent), \(net.parameterCount) parameters) on \(train.name) (\(train.count) images), \(options.threads) threads")
        try Trainer(options: options) { say($0) }.run(net, train: train, test: test)
    }

    /// `--resume DIR`: the saved model, scaling, optimizer state, random streams and options, continued to --epochs.
    func runResumed(_ directory: URL, train rawTrain: Dataset, test rawTest: Dataset) throws {
        let loaded = try ModelStore.load(directory)
        let state = try TrainingState.read(from: directory)
        guard loaded.epochs == state.epoch else {
            throw ValidationError("--resume: \(directory.path) holds a checkpoint of epoch \(loaded.epochs) but training state of epoch \(state.epoch) (interrupted while saving); the checkpoint itself is loadable")
        }
        guard state.epoch < epochs else {
            throw ValidationError("--resume: \(directory.path) has already trained \(state.epoch) epochs; give --epochs above that to continue")
        }
        var train = rawTrain, test = rawTest
        if let scaling = loaded.scaling { train = train.scaled(scaling); test = test.scaled(scaling) }
        guard train.featureCount == loaded.model.config.inputSize else {
            throw ValidationError("--resume: \(train.name) has \(train.featureCount) features; the model in \(directory.path) expects \(loaded.model.config.inputSize) (give the same data options as the first run)")
        }
        if loaded.model.config.binarize == .dynamic { test = test.binarized(seed: ModelConfig.testBinarizationSeed) }
        var options = TrainingOptions(outputDirectory: directory)
        options.epochs = epochs
        options.batchSize = state.batchSize
        options.learningRate = state.learningRate
        options.seed = state.seed
        options.threads = state.threads   // the same split of each batch, so the numbers continue exactly
        options.progressBar = !noProgress && ProgressReporter.stderrIsTerminal
        options.scaling = loaded.scaling
        options.clipGradientNorm = state.clipGradientNorm
        options.engine = state.engine   // the same arithmetic as the first run
        BLAS.setThreads(state.threads)
        say("resuming \(loaded.model.config.kind.rawValue) in \(directory.path) after epoch \(state.epoch), up to epoch \(epochs) "
            + "(batch size \(state.batchSize), lr \(state.learningRate), seed \(state.seed), \(state.threads) threads as saved)")
        try Trainer(options: options) { say($0) }.run(loaded.model, train: train, test: test, resume: state)
    }
}

extension ModelKind: ExpressibleByArgument {}
extension Architecture: ExpressibleByArgument {}
extension Likelihood: ExpressibleByArgument {}
extension TrainingEngine: ExpressibleByArgument {}
