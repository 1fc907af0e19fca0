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
    @Flag(name: .customLong("count-allocations"), help: "After the timed runs, count heap allocations per step (needs ordo-one's malloc interposer preloaded: Scripts/count_allocations.sh).")
    var countAllocations = false
    @Flag(name: .customLong("threaded-blas"), help: "Thread inside each BLAS call instead of splitting the batch over data-parallel workers (as `latent train` does).")
    var threadedBLAS = false
    @Option(help: "auto, graph or planned, as for `latent train`.") var engine: TrainingEngine = .auto
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard steps > 0, runs > 0, batchSize > 0 else { throw ValidationError("--steps, --runs and --batch-size must be positive") }
    }

    func run() throws {
        threads.apply()
        if gemmOnly { return try runGEMMOnly() }
        let train = try MNIST.load(.train)
        var rng = RandomGenerator(seed: seed)
        var config = ModelConfig(kind: model)
        config.arch = arch
        config.hidden = try parseSizes(hidden, flag: "--hidden")
        config.latent = latent
        config.activation = activation
        if model == .dae { config.noise = Corruption(kind: .gaussian, amount: 0.5) }
        if model == .sae { config.sparsity = Sparsity(kind: .kl, target: 0.05, weight: 3) }
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        let vae = makeModel(config, rng: &rng)
        let parameters = ParameterSet(vae)
        let adam = try Adam(parameters)
        let x = Tensor(uninitialized: [batchSize, 784])
        let labels = (0..<batchSize).map { Int(train.labels[$0]) }
        let counter = countAllocations ? try AllocationCounter() : nil
        let workers = threads.count
        let step: TrainingStep
        do {
            step = try TrainingStep(vae, optimizer: adam, threads: workers, batchSize: batchSize, engine: engine, splitBatches: !threadedBLAS)
        } catch { throw ValidationError("\(error)") }
        let batch = Batch(x: x, labels: labels)
        var indices = [Int](repeating: 0, count: batchSize)   // reused: the loop itself allocates nothing
        var rates: [Double] = []
        var allocations: (count: Double, bytes: Double)? = nil
        for run in 0...(runs + (counter == nil ? 0 : 1)) {
            if run == runs + 1 { counter!.start() }
            let start = Date()
            for i in 0..<steps {
                let first = (i * batchSize) % (train.count - batchSize)
                for j in 0..<batchSize { indices[j] = first + j }
                train.fill(x, indices: indices[...])
                _ = step.lossAndGradients(batch, rng: &rng)
                adam.step()
            }
            let rate = Double(steps * batchSize) / Date().timeIntervalSince(start)
            if run == runs + 1 {
                let (count, bytes) = counter!.stop()
                allocations = (Double(count) / Double(steps), Double(bytes) / Double(steps))
            } else if run > 0 { rates.append(rate) }   // run 0 warms up caches, pools and BLAS threads
        }
        rates.sort()
        let median = rates[rates.count / 2]
        if json {
            let object: [String: Any] = ["framework": "latent", "threads": workers, "engine": step.description, "batch_size": batchSize,
                                         "images_per_second": median, "runs": rates, "peak_rss_mb": peakRSSMegabytes()]
                .merging(allocations.map { ["allocations_per_step": $0.count, "allocated_bytes_per_step": $0.bytes] } ?? [:]) { a, _ in a }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%@ %@ 784-%@-%d, batch %d, %d threads (%@): %.0f images/s (median of %d runs of %d steps), peak RSS %.0f MB",
                         model.rawValue, arch.rawValue, hidden, latent, batchSize, workers, step.description,
                         median, runs, steps, peakRSSMegabytes()))
            if let allocations {
                print(String(format: "heap allocations per step in steady state: %.2f (%.0f bytes)", allocations.count, allocations.bytes))
            }
        }
    }

    /// The matrix products of one training step of the MLP VAE (forward, and backward without the input
    /// gradient), timed alone: FLOP/s at these shapes and the images/s they would allow. Measured both ways
    /// the threads can share the products (the batch split over data-parallel workers with single-threaded
    /// BLAS, as training does, and threads inside each BLAS call); the limit is the faster.
    func runGEMMOnly() throws {
        let widths = [784] + (try parseSizes(hidden, flag: "--hidden"))
        // Encoder layers, both heads, decoder layers: y = x·Wᵀ ([B,in]·[out,in]ᵀ), dW = gᵀ·x, dx = g·W.
        var layers: [(inp: Int, out: Int, needsInputGrad: Bool)] = []
        for i in 0..<(widths.count - 1) { layers.append((widths[i], widths[i + 1], i > 0)) }
        layers.append((widths.last!, latent, true)); layers.append((widths.last!, latent, true))
        let dec = [latent] + widths.reversed()
        for i in 0..<(dec.count - 1) { layers.append((dec[i], dec[i + 1], true)) }
        func shapes(rows: Int) -> [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool)] {
            layers.flatMap { l in
                [(rows, l.out, l.inp, false, true), (l.out, l.inp, rows, true, false)]
                    + (l.needsInputGrad ? [(rows, l.inp, l.out, false, false)] : [])
            }
        }
        let flops = Double(shapes(rows: batchSize).reduce(0) { $0 + 2 * $1.m * $1.n * $1.k })
        /// Median FLOP/s of the step's products with the batch split over `workers`, BLAS on `blasThreads`.
        func measure(workers: Int, blasThreads: Int) -> Double {
            BLAS.setThreads(blasThreads)
            let work = (0..<workers).map { w in
                shapes(rows: (w + 1) * batchSize / workers - w * batchSize / workers).map { s in
                    (s, Tensor(repeating: 0.01, shape: s.ta ? [s.k, s.m] : [s.m, s.k]),
                     Tensor(repeating: 0.01, shape: s.tb ? [s.n, s.k] : [s.k, s.n]), Tensor(zeros: [s.m, s.n]))
                }
            }
            var rates: [Double] = []
            for run in 0...runs {
                let start = Date()
                Parallel.forEach(workers) { w in
                    for _ in 0..<steps {
                        for (s, a, b, c) in work[w] { Tensor.gemm(a, transposeA: s.ta, b, transposeB: s.tb, into: c) }
                    }
                }
                let seconds = Date().timeIntervalSince(start)
                if run > 0 { rates.append(flops * Double(steps) / seconds) }
            }
            return rates.sorted()[rates.count / 2]
        }
        let n = threads.count
        var results = [(name: String, rate: Double)]()
        if n > 1 { results.append(("\(n) data-parallel workers (single-threaded BLAS)", measure(workers: n, blasThreads: 1))) }
        results.append(("\(n) BLAS thread\(n == 1 ? "" : "s")", measure(workers: 1, blasThreads: n)))
        for r in results {
            print(String(format: "GEMMs of one step: %.2f MFLOP per image; %.1f GFLOP/s on %@ → at most %.0f images/s",
                         flops / Double(batchSize) / 1e6, r.rate / 1e9, r.name, r.rate / (flops / Double(batchSize))))
        }
    }
}

/// The heap-allocation counters of ordo-one's malloc interposer (libMallocInterposerSwift.so), found at run
/// time when the library is preloaded, so Latent need not link it.
struct AllocationCounter {
    typealias Toggle = @convention(c) () -> Void
    typealias Stats = @convention(c) (UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?,
                                      UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?) -> Void
    let enable: Toggle, disable: Toggle, reset: Toggle, stats: Stats

    init() throws {
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                throw ValidationError("--count-allocations: the malloc interposer is not loaded; run through Scripts/count_allocations.sh (it builds libMallocInterposerSwift.so and sets LD_PRELOAD)")
            }
            return p
        }
        enable = unsafeBitCast(try symbol("malloc_interposer_enable"), to: Toggle.self)
        disable = unsafeBitCast(try symbol("malloc_interposer_disable"), to: Toggle.self)
        reset = unsafeBitCast(try symbol("malloc_interposer_reset"), to: Toggle.self)
        stats = unsafeBitCast(try symbol("malloc_interposer_get_stats"), to: Stats.self)
    }

    func start() { reset(); enable() }

    /// Stops counting; returns the allocations and bytes since `start`.
    func stop() -> (count: Int64, bytes: Int64) {
        disable()
        var count: Int64 = 0, bytes: Int64 = 0, small: Int64 = 0, large: Int64 = 0, frees: Int64 = 0, freed: Int64 = 0
        stats(&count, &bytes, &small, &large, &frees, &freed)
        return (count, bytes)
    }
}

/// Peak resident set size of this process so far, in MB (getrusage).
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
