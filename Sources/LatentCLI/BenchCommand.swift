import ArgumentParser
import Foundation
import Latent

/// `latent bench`: training throughput of a model configuration, for side-by-side comparison with PyTorch
/// (Scripts/bench_side_by_side.sh).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure training speed (images/s, median of several timed runs).")

    @Option(help: "Model: any --model of `latent train`.") var model: ModelKind = KindOptions.defaultKind
    @OptionGroup var kindOptions: KindOptions
    @Option(help: "mlp, conv or deepconv.") var arch: Architecture = .mlp
    @Option(name: .customLong("conv-channels"), help: "As for `latent train`.") var convChannels: String?
    @OptionGroup var data: DataOptions
    @Option(name: .customLong("batch-size")) var batchSize: Int = 128
    @Option(help: "As for `latent train` (default 400; none for deepconv).") var hidden: String?
    @Option var latent: Int = 20
    @Option(help: "As for `latent train` (default relu; leaky-relu for deepconv).") var activation: Activation?
    @Option(help: "Training steps per timed run.") var steps: Int = 200
    @Option(help: "Timed runs after one warm-up run.") var runs: Int = 5
    @Option var seed: UInt64 = 1
    @Flag(help: "Print one JSON object (with --gemm-only: the limit, the faster split, and each split's).")
    var json = false
    @Flag(help: "Time only the step's matrix products (the BLAS-bound limit).") var gemmOnly = false
    @Flag(
        name: .customLong("count-allocations"),
        help:
            """
            After the timed runs, count heap allocations per step (needs ordo-one's malloc interposer preloaded: \
            Scripts/count_allocations.sh).
            """
    )
    var countAllocations = false
    @Flag(
        name: .customLong("threaded-blas"),
        help:
            """
            Thread inside each BLAS call instead of splitting the batch over data-parallel workers (as `latent \
            train` does).
            """
    )
    var threadedBLAS = false
    @Option(help: "auto, graph or planned, as for `latent train`.") var engine: TrainingEngine = .auto
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        try bounded(steps, "--steps", 1...1_000_000)
        try bounded(runs, "--runs", 1...1000)
        try bounded(batchSize, "--batch-size", 1...59_999)
        try bounded(latent, "--latent", 1...16_777_216)
    }

    func run() throws {
        humanLinesToStderr = json
        threads.apply()
        let sizes =
            hidden == "none" || (hidden == nil && arch == .deepconv)
            ? [] : try parseSizes(hidden ?? "400", flag: "--hidden")
        if gemmOnly {
            let results = SpeedBenchmark.gemmLimit(
                hidden: sizes, latent: latent, batchSize: batchSize, steps: steps,
                runs: runs, threads: threads.count)
            if json {
                let limits = results.map { r -> [String: Any] in
                    [
                        "split": r.name, "gflop_per_second": r.flopsPerSecond / 1e9,
                        "images_per_second": r.flopsPerSecond / r.flopsPerImage,
                    ]
                }
                try printJSON([
                    "mflop_per_image": (results.first?.flopsPerImage ?? 0) / 1e6, "threads": threads.count,
                    "blas_kernels": SpeedBenchmark.blasKernels,
                    "images_per_second": results.map { $0.flopsPerSecond / $0.flopsPerImage }.max() ?? 0,
                    "limits": limits,
                ])
                return
            }
            for r in results {
                print(
                    String(
                        format: "GEMMs of one step: %.2f MFLOP per image; %.1f GFLOP/s on %@ → at most %.0f images/s",
                        r.flopsPerImage / 1e6, r.flopsPerSecond / 1e9, r.name, r.flopsPerSecond / r.flopsPerImage))
            }
            print("OpenBLAS kernels: \(SpeedBenchmark.blasKernels)")
            return
        }
        let train = data.given ? try data.load(.train) : try MNIST.load(.train)
        let config = try config(for: train, hidden: sizes)
        let r = try SpeedBenchmark.training(
            config, on: train, batchSize: batchSize, steps: steps,
            runs: runs, threads: threads.count, engine: engine,
            splitBatches: !threadedBLAS, seed: seed,
            counter: countAllocations ? try AllocationCounter() : nil)
        if json {
            var object: [String: Any] = [
                "framework": "latent", "threads": threads.count, "engine": r.engine, "batch_size": batchSize,
                "images_per_second": r.imagesPerSecond, "runs": r.runs, "peak_rss_mb": peakRSSMegabytes(),
                "blas_kernels": SpeedBenchmark.blasKernels,
            ]
            if let a = r.allocations {
                (object["allocations_per_step"], object["allocated_bytes_per_step"]) = (a.count, a.bytes)
            }
            try printJSON(object)
        } else {
            print(
                String(
                    format:
                        "%@ %@ %@, batch %d, %d threads (%@): %.0f images/s (median of %d runs of %d steps), "
                        + "peak RSS %.0f MB", model.rawValue, arch.rawValue,
                    ([config.inputSize] + sizes + [latent]).map(String.init).joined(separator: "-"), batchSize,
                    threads.count,
                    r.engine, r.imagesPerSecond, runs, steps, peakRSSMegabytes()))
            print("OpenBLAS kernels: \(SpeedBenchmark.blasKernels)")
            if let a = r.allocations {
                print(String(format: "heap allocations per step in steady state: %.2f (%.0f bytes)", a.count, a.bytes))
            }
        }
    }

    /// The benchmarked model, shaped for `train`.
    func config(for train: Dataset, hidden sizes: [Int]) throws -> ModelConfig {
        var config = ModelConfig(kind: model)
        (config.arch, config.hidden, config.latent) = (arch, sizes, latent)
        let defaults = ModelConfig.defaults(for: arch, height: train.height, width: train.width)
        config.activation = activation ?? defaults.activation
        (config.inputSize, config.imageHeight, config.imageWidth) = (train.featureCount, train.height, train.width)
        config.imageChannels = train.channels == 1 ? nil : train.channels
        config.convChannels =
            try convChannels.map { try parseSizes($0, flag: "--conv-channels") } ?? defaults.convChannels
        KindOptions.benchDefaults(&config)
        if let flag = kindOptions.ineffective(for: model) { throw ValidationError(flag) }
        try kindOptions.apply(to: &config)
        return config
    }
}
