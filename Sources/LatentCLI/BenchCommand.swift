import ArgumentParser
import Foundation
import Latent

/// `latent bench`: training throughput of a VAE configuration, for side-by-side comparison with PyTorch
/// (Scripts/bench_side_by_side.sh).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure VAE training speed (images/s, median of several timed runs).")

    @Option(help: "Model: vae or ae (or any --model of `latent train`).") var model: ModelKind = .vae
    @Option(help: "mlp or conv.") var arch: Architecture = .mlp
    @Option(name: .customLong("batch-size")) var batchSize: Int = 128
    @Option var hidden: String = "400"
    @Option var latent: Int = 20
    @Option var activation: Activation = .relu
    @Option(help: "Training steps per timed run.") var steps: Int = 200
    @Option(help: "Timed runs after one warm-up run.") var runs: Int = 5
    @Option var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false
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
        let sizes = try parseSizes(hidden, flag: "--hidden")
        if gemmOnly {
            let results = SpeedBenchmark.gemmLimit(
                hidden: sizes, latent: latent, batchSize: batchSize, steps: steps,
                runs: runs, threads: threads.count)
            for r in results {
                print(
                    String(
                        format: "GEMMs of one step: %.2f MFLOP per image; %.1f GFLOP/s on %@ → at most %.0f images/s",
                        r.flopsPerImage / 1e6, r.flopsPerSecond / 1e9, r.name, r.flopsPerSecond / r.flopsPerImage))
            }
            return
        }
        var config = ModelConfig(kind: model)
        (config.arch, config.hidden, config.latent, config.activation) = (arch, sizes, latent, activation)
        if model == .dae { config.noise = Corruption(kind: .gaussian, amount: 0.5) }
        if model == .sae { config.sparsity = Sparsity(kind: .kl, target: 0.05, weight: 3) }
        let r = try SpeedBenchmark.training(
            config, on: try MNIST.load(.train), batchSize: batchSize, steps: steps,
            runs: runs, threads: threads.count, engine: engine,
            splitBatches: !threadedBLAS, seed: seed,
            counter: countAllocations ? try AllocationCounter() : nil)
        if json {
            var object: [String: Any] = [
                "framework": "latent", "threads": threads.count, "engine": r.engine, "batch_size": batchSize,
                "images_per_second": r.imagesPerSecond, "runs": r.runs, "peak_rss_mb": peakRSSMegabytes(),
            ]
            if let a = r.allocations {
                (object["allocations_per_step"], object["allocated_bytes_per_step"]) = (a.count, a.bytes)
            }
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format:
                        "%@ %@ 784-%@-%d, batch %d, %d threads (%@): %.0f images/s (median of %d runs of %d steps), "
                        + "peak RSS %.0f MB", model.rawValue, arch.rawValue, hidden, latent, batchSize, threads.count,
                    r.engine, r.imagesPerSecond, runs, steps, peakRSSMegabytes()))
            if let a = r.allocations {
                print(String(format: "heap allocations per step in steady state: %.2f (%.0f bytes)", a.count, a.bytes))
            }
        }
    }
}
