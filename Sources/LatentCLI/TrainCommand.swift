import ArgumentParser
import Foundation
import Latent
import LatentDistributed

/// `latent train`: trains a model and writes its checkpoint, metrics and pictures.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            """
            Train a model; writes DIR/model.safetensors, metrics.jsonl and pictures (samples.png, \
            reconstructions.png, …).
            """
    )

    @Option(help: ArgumentHelp(stringLiteral: KindOptions.modelHelp)) var model: ModelKind = KindOptions.defaultKind
    @OptionGroup var kindOptions: KindOptions
    @Option(
        help: """
            Encoder/decoder body: mlp, conv (two kernel-4 stride-2 convolutions, then the dense --hidden layers) or \
            deepconv (kernel-3 stride-2 convolutions with BatchNorm per --conv-channels entry, mirrored: \
            PyTorch-VAE's VanillaVAE, for colour pictures of any size).
            """)
    var arch: Architecture = .mlp
    @Option(
        name: .customLong("conv-channels"),
        help: """
            Channels of the stride-2 convolutions, comma-separated (conv: two, default 32,64; deepconv: default \
            32,64,128,256,512, as many as halve the image down to 2x2).
            """)
    var convChannels: String?
    @OptionGroup var data: DataOptions
    @Option(help: "Training epochs.") var epochs: Int = 10
    @Option(name: .customLong("batch-size"), help: "Examples per training step.") var batchSize: Int = 128
    @Option(
        help: "Dense hidden layer widths, comma-separated (the decoder mirrors them; default 400, none for deepconv).")
    var hidden: String?
    @Option(help: "Latent (code) dimensions.") var latent: Int = 20
    @Option(help: "Hidden-layer nonlinearity (default relu; leaky-relu for deepconv).") var activation: Activation?
    @Option(help: "Adam learning rate.") var lr: Float = 1e-3
    @Option(
        name: .customLong("lr-schedule"),
        help: "Learning rate over the epochs: constant, or burda (stage i = 0…7: 3^i epochs at lr·10^(−i/7)).")
    var lrSchedule: String = "constant"
    @Option(help: "Random seed (weights, shuffling, sampling).") var seed: UInt64 = 1
    @Option(help: "Output directory.") var out: String = "runs/vae"
    @Option(help: "Use only the first N training images (quick runs).") var limit: Int?
    @Option(
        name: .customLong("free-bits"),
        help:
            """
            Variational models: a floor in nats on each latent dimension's KL (batch average), against posterior \
            collapse.
            """
    )
    var freeBits: Float?
    @Option(name: .customLong("clip-grad-norm"), help: "Rescale each step's gradient to at most this L2 norm.")
    var clipGradNorm: Float?
    @Option(
        help: ArgumentHelp(
            """
            Continue the run in this directory from its last epoch (weights, Adam state, random streams) up to \
            --epochs; give the same data options as the first run.
            """,
            valueName: "dir"))
    var resume: String?
    @Option(help: "Output distribution: bernoulli (cross-entropy) or gaussian (squared error).") var likelihood:
        Likelihood = .bernoulli
    @Option(name: .customLong("output-variance"), help: "Gaussian likelihood variance: a number, or 'learned'.")
    var outputVariance: String = "learned"
    @Option(
        name: .customLong("output-mean"),
        help: """
            Gaussian likelihood mean: sigmoid (data in [0, 1]) or identity (data on the real line). Default: \
            identity when the training data go outside [0, 1] (a --scale standard table), sigmoid otherwise.
            """)
    var outputMean: OutputMean?
    @Option(help: "KL weight β (variational models; β ≠ 1: a β-VAE).") var beta: Float = 1
    @Option(
        help:
            """
            With --data: per-feature scaling fitted on the training rows and saved with the model: none, standard \
            or minmax.
            """
    ) var scale: String = "none"
    @Option(
        name: .customLong("exclude-label"),
        help: "Train without the examples of this class, number or name (normal data only, for `latent anomaly`).")
    var excludeLabel: String?
    @Option(
        help:
            """
            dynamic: redraw every training pixel as Bernoulli(intensity) each time it is seen (test set binarised \
            once, fixed seed), for likelihoods comparable with the papers.
            """
    ) var binarize: String?
    @Option(name: .customLong("kl-warmup"), help: "Epochs over which the KL weight rises linearly from 0 to β.")
    var klWarmup: Int = 0
    @Flag(help: "Write into --out even if it holds other files or another run (files the run does not write are kept).")
    var force = false
    @Flag(name: .customLong("no-progress"), help: "Never draw the live progress bar.") var noProgress = false
    @Option(
        help:
            """
            How gradients are computed: auto (the planned step for MLP ae/vae, the graph otherwise), graph (record \
            and differentiate a graph every step; every model) or planned.
            """
    )
    var engine: TrainingEngine = .auto
    @Option(
        help: """
            auto (MPI when started by mpirun or srun), mpi, or none: with MPI every process trains the same model \
            on its share of each --batch-size batch (process 0 writes the files).
            """)
    var distributed = "auto"
    @Option(
        name: .customLong("tensorboard"),
        help: ArgumentHelp(
            "Also write TensorBoard event files here: loss per step, metrics and pictures per epoch.",
            valueName: "dir"))
    var tensorBoard: String?
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        // The library's bounds (`TrainingOptions.validate`), in the CLI's words.
        try ErrorMessages.asValidation { try trainingOptions().validate() }
        try bounded(latent, "--latent", 1...16_777_216)
        guard LearningRateSchedule(rawValue: lrSchedule) != nil else {
            let names = LearningRateSchedule.allCases.map(\.rawValue).joined(separator: " or ")
            throw ValidationError("--lr-schedule: expected \(names), got '\(lrSchedule)'")
        }
        if let limit { try bounded(limit, "--limit", 1...Int.max) }
        if let hidden, hidden != "none" { _ = try parseSizes(hidden, flag: "--hidden") }
        if let convChannels { _ = try parseSizes(convChannels, flag: "--conv-channels") }
        if data.dataFile == nil { _ = try config(inputSize: 784, height: 28, width: 28) }
        try refuseIneffectiveFlags()
    }

    /// With --resume the saved run's options hold; a flag given with another value than the saved one (and than
    /// its default, so it was given on purpose) is refused, naming the saved value.
    func refuseConflicts(with directory: URL) throws {
        let state = try TrainingState.read(from: directory)
        let saved = try ModelStore.load(directory).config
        let conflicts: [(Bool, String)] = [
            (
                model != KindOptions.defaultKind && model != saved.kind,
                "--model \(model.rawValue): the run is a \(saved.kind.rawValue)"
            ),
            (lr != 1e-3 && lr != state.learningRate, "--lr \(lr): the run's is \(state.learningRate)"),
            (
                lrSchedule != "constant" && lrSchedule != state.learningRateSchedule.rawValue,
                "--lr-schedule \(lrSchedule): the run's is \(state.learningRateSchedule.rawValue)"
            ),
            (
                batchSize != 128 && batchSize != state.batchSize,
                "--batch-size \(batchSize): the run's is \(state.batchSize)"
            ),
            (seed != 1 && seed != state.seed, "--seed \(seed): the run's is \(state.seed)"),
            (
                hidden != nil && (try? hiddenSizes()) != saved.hidden,
                "--hidden \(hidden ?? ""): the run's is \(saved.hidden.map(String.init).joined(separator: ","))"
            ),
            (latent != 20 && latent != saved.latent, "--latent \(latent): the run's is \(saved.latent)"),
            (threads.threads != nil && threads.threads != state.threads, "--threads: the run's is \(state.threads)"),
            (
                out != "runs/vae" && URL(fileURLWithPath: out).standardizedFileURL != directory.standardizedFileURL,
                "--out \(out): a resumed run writes to its own directory"
            ),
        ]
        if let (_, message) = conflicts.first(where: { $0.0 }) {
            throw ValidationError("--resume: \(message); drop the flag to continue the run as it was")
        }
    }

    /// A flag that would do nothing for the chosen model is refused, not silently ignored.
    func refuseIneffectiveFlags() throws {
        let variational = ModelConfig(kind: model).isVariational
        let ineffective: [(Bool, String)] = [
            (beta != 1 && !variational, "--beta applies to variational models (" + variationalKinds + ")"),
            (klWarmup != 0 && !variational, "--kl-warmup applies to variational models (" + variationalKinds + ")"),
            (kindOptions.ineffective(for: model) != nil, kindOptions.ineffective(for: model) ?? ""),
            (
                outputVariance != "learned" && likelihood != .gaussian,
                "--output-variance applies to --likelihood gaussian"
            ),
            (outputMean != nil && likelihood != .gaussian, "--output-mean applies to --likelihood gaussian"),
            (data.labelColumn != nil && data.dataFile == nil, "--label-column applies to --data FILE"),
            (
                scale != "none" && data.dataFile == nil,
                "--scale applies to --data FILE (image pixels are already in [0, 1])"
            ),
        ]
        if let (_, message) = ineffective.first(where: { $0.0 }) {
            throw ValidationError("\(message); this run would ignore it")
        }
    }

    /// The training options the flags give (the data's scaling and provenance are added once it is read).
    func trainingOptions() -> TrainingOptions {
        var options = TrainingOptions(outputDirectory: URL(fileURLWithPath: out))
        (options.epochs, options.batchSize, options.learningRate, options.seed) = (epochs, batchSize, lr, seed)
        (options.klWarmupEpochs, options.threads) = (klWarmup, threads.count)
        options.learningRateSchedule = LearningRateSchedule(rawValue: lrSchedule) ?? .constant
        (options.clipGradientNorm, options.engine, options.overwrite) = (clipGradNorm, engine, force)
        return options
    }

    /// The variational kinds, as --beta's refusal names them.
    var variationalKinds: String {
        ModelKind.allCases.filter { ModelConfig(kind: $0).isVariational }.map(\.rawValue).joined(separator: ", ")
    }

    /// --hidden's sizes: the default 400 (none for deepconv, as VanillaVAE), "none", or the list.
    func hiddenSizes() throws -> [Int] {
        guard let hidden else { return ModelConfig.defaults(for: arch, height: 28, width: 28).hidden }
        return hidden == "none" ? [] : try parseSizes(hidden, flag: "--hidden")
    }

    func config(inputSize: Int, height: Int, width: Int, channels: Int = 1) throws -> ModelConfig {
        var c = ModelConfig(kind: model)
        c.arch = arch
        c.inputSize = inputSize
        c.imageHeight = height
        c.imageWidth = width
        c.imageChannels = channels == 1 ? nil : channels
        c.hidden = try hiddenSizes()
        c.latent = latent
        let defaults = ModelConfig.defaults(for: arch, height: height, width: width)
        c.activation = activation ?? defaults.activation
        c.convChannels = try convChannels.map { try parseSizes($0, flag: "--conv-channels") } ?? defaults.convChannels
        c.likelihood = likelihood
        if outputVariance != "learned" {
            guard let v = Float(outputVariance), v > 0 else {
                throw ValidationError(
                    "--output-variance: expected a positive number or 'learned', got '\(outputVariance)'")
            }
            c.outputVariance = v
        }
        c.outputMean = outputMean
        c.beta = beta
        c.freeBits = freeBits
        if let binarize {
            guard let b = Binarization(rawValue: binarize) else {
                throw ValidationError("--binarize: expected dynamic, got '\(binarize)'")
            }
            c.binarize = b
        }
        try ErrorMessages.asValidation {
            try kindOptions.apply(to: &c)
            try c.validate()
        }
        return c
    }

    @Flag(
        help:
            "Print one JSON object at the end (the last epoch's metrics, the run directory); epoch lines go to stderr.")
    var json = false

    func run() throws {
        guard ["auto", "mpi", "none"].contains(distributed) else {
            throw ValidationError("--distributed: expected auto, mpi or none, got '\(distributed)'")
        }
        let processes =
            distributed == "mpi" || (distributed == "auto" && MPIProcessGroup.launchedByMPI)
            ? try MPIProcessGroup.start() : nil
        quietProcess = (processes?.rank ?? 0) != 0
        do { try train(processes) } catch let disagree as ProcessesDisagree {
            // Every process knows the same line: process 0 prints it, each exits with the same status.
            if processes?.rank ?? 0 == 0 { throw disagree.error }
            Foundation.exit(Invocation.exitCode(for: disagree.error))
        } catch let stop as TrainingInterrupted where (processes?.size ?? 1) > 1 {
            // Every process stopped after the same step: process 0 says where and how to continue.
            if processes?.rank ?? 0 == 0 { throw stop }
            Foundation.exit(Invocation.exitCode(for: stop))
        } catch let error where (processes?.size ?? 1) > 1 {
            // One process failing must stop them all (the others would wait in the next allreduce).
            try? FileHandle.standardError.write(
                contentsOf: Data("latent: process \(processes!.rank) of \(processes!.size): \(error)\n".utf8))
            processes!.abort(code: Invocation.exitCode(for: error))
        }
    }

    func train(_ processes: MPIProcessGroup?) throws {
        humanLinesToStderr = json
        threads.apply()
        Interruption.install()
        if let resume {
            // The recorded data, subset and options hold; flags that contradict them are refused.
            let directory = URL(fileURLWithPath: resume)
            try Trainer.completeInterruptedSave(directory) { say($0) }
            try refuseConflicts(with: directory)
            let loaded = try ModelStore.load(directory)
            let source = try data.source(for: loaded), recorded = loaded.data
            let both = try source.loadSplits(notes: note, progress: decoding())  // a folder is read once
            var resumed = both.train
            let excludeLabel = try excludeLabel.map {
                try ClassLabel.number($0, names: resumed.classNames, field: "excludeLabel")
            }
            let named = { (n: Int?) in n.map { resumed.className($0) } ?? "none" }
            if let limit, let recorded, limit != recorded.limit {
                throw ValidationError(
                    "--resume: --limit \(limit): the run's is \(recorded.limit.map(String.init) ?? "none")")
            }
            if let excludeLabel, let recorded, excludeLabel != recorded.excludeLabel {
                let theirs = named(recorded.excludeLabel)
                throw ValidationError("--resume: --exclude-label \(named(excludeLabel)): the run's is \(theirs)")
            }
            if let test = data.testDataFile, let recorded,
                URL(fileURLWithPath: test).canonicalPath
                    != recorded.testFile.map({ URL(fileURLWithPath: $0).canonicalPath })
            {
                throw ValidationError("--resume: --test-data \(test): the run's is \(recorded.testFile ?? "none")")
            }
            if let mismatch = data.mismatch(resumed, loaded) { throw mismatch }
            if recorded == nil {  // a checkpoint from before runs recorded their data: the flags name the subset
                resumed = resumed.trainingSubset(excludingLabel: excludeLabel, limit: limit)
            }
            let history = try Trainer.resume(
                directory, epochs: epochs, train: resumed, test: both.test,
                progressBar: progressBar && processes?.rank ?? 0 == 0, processes: processes,
                tensorBoard: tensorBoard.map { URL(fileURLWithPath: $0) }
            ) { say(ErrorMessages.replacingNames($0)) }
            return try printResult(history, directory: resume)
        }
        guard let scaling = FeatureScaling.Kind(rawValue: scale) else {
            throw ValidationError("--scale: expected none, standard or minmax, got '\(scale)'")
        }
        // The folder is read once; the model on pictures of the size it will be decoded at must fit, before any
        // decoding.
        let loadedData = try data.loadSplits { plan in
            let planned = try self.config(
                inputSize: plan.width * plan.height * plan.channels, height: plan.height, width: plan.width,
                channels: plan.channels)
            try TrainingStep.checkFits(planned, batchSize: max(1, min(batchSize, plan.count)))
        }
        let (train, test) = (loadedData.train, loadedData.test)
        let excludeLabel = try excludeLabel.map {
            try ClassLabel.number($0, names: train.classNames, field: "excludeLabel")
        }
        var config = try config(
            inputSize: train.featureCount, height: train.height, width: train.width, channels: train.channels)
        let prepared = try TrainingData.prepare(
            train: train, test: test, config: &config, scaling: scaling,
            excludeLabel: excludeLabel, limit: limit)
        var rng = RandomGenerator(seed: seed, stream: .initialization)
        let net = makeModel(config, rng: &rng)
        var options = trainingOptions()
        options.progressBar = progressBar && !quietProcess
        options.scaling = prepared.scaling
        options.tensorBoardDirectory = tensorBoard.map { URL(fileURLWithPath: $0) }
        options.provenance = loadedData.provenance
        options.provenance?.limit = limit
        options.provenance?.excludeLabel = excludeLabel
        options.provenance?.columns = train.featureNames
        options.provenance?.classes = train.classNames
        let rows = min(batchSize, max(prepared.train.count, 1))
        let perProcess = (rows + (processes?.size ?? 1) - 1) / (processes?.size ?? 1)
        try TrainingStep.checkFits(config, batchSize: perProcess)
        let hidden = config.hidden.isEmpty ? "none" : config.hidden.map(String.init).joined(separator: ",")
        let body =
            config.arch == .mlp ? "" : ", channels \(config.convChannels.map(String.init).joined(separator: ","))"
        let shape =
            prepared.train.isImage
            ? "\(config.imageWidth)x\(config.imageHeight)x\(config.channels) images" : "rows"
        say(
            "training \(config.kind.rawValue) (\(config.arch.rawValue)\(body), hidden \(hidden), "
                + "latent \(config.latent), "
                + "\(net.parameterCount) parameters) on \(prepared.train.name) (\(prepared.train.count) \(shape)), "
                + "\(options.threads) threads" + (processes.map { " in each of \($0.size) processes" } ?? ""))
        let history = try Trainer(options: options, processes: processes) { say(ErrorMessages.replacingNames($0)) }
            .run(net, data: prepared)
        if let processes, processes.size > 1, processes.reduceCalls > 0 {
            // Two allreduces per step: the gradient and the loss.
            let steps = Double(processes.reduceCalls / 2)
            say(
                String(
                    format: "allreduce: %.3f ms per step (%.2f MB of gradient per step, %.0f steps, process 0)",
                    processes.reduceSeconds / steps * 1e3, Double(processes.reducedBytes) / steps / 1e6, steps))
        }
        try printResult(history, directory: out)
    }

    /// With --json: the last epoch's metrics and where the run is.
    func printResult(_ history: [EpochMetrics], directory: String) throws {
        guard json, let last = history.last else { return }
        let row = try JSONSerialization.jsonObject(with: JSONEncoder().encode(last)) as? [String: Any] ?? [:]
        try printJSON(row.merging(["directory": directory, "epochs": history.count]) { a, _ in a })
    }

    /// Whether to draw the live bar.
    var progressBar: Bool { !noProgress && ProgressReporter.stderrIsTerminal }
}

extension ModelKind: ExpressibleByArgument {}
extension Architecture: ExpressibleByArgument {}
extension Likelihood: ExpressibleByArgument {}
extension OutputMean: ExpressibleByArgument {}
extension TrainingEngine: ExpressibleByArgument {}
