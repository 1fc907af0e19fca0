import Foundation
import LatentData
import LatentModels
import LatentOptim
import LatentTensor
import LatentTraining

/// Training speed, measured as `latent bench` and the side-by-side scripts report it: the median of several
/// timed runs after a warm-up run, and optionally the heap allocations of a steady-state step.
public enum SpeedBenchmark {
    /// Training throughput of one configuration.
    public struct Result: Sendable {
        /// Median images per second over the timed runs.
        public let imagesPerSecond: Double
        /// Each timed run's images per second, ascending.
        public let runs: [Double]
        /// The step's engine and thread use ("planned, 2 data-parallel workers").
        public let engine: String
        /// Heap allocations and bytes per step in steady state, if counted.
        public let allocations: (count: Double, bytes: Double)?
    }

    /// The OpenBLAS kernels the products run on ("SkylakeX", or "SkylakeX (OpenBLAS chose Prescott)" where
    /// Latent replaced OpenBLAS's choice for a CPU it does not know).
    public static var blasKernels: String { BLASKernels.current.description }

    /// Trains a new model of `config` on consecutive batches of `data` (Adam, as `latent train` does): a
    /// warm-up run, `runs` timed runs of `steps` steps, then one counted run if `counter` is given. The loop
    /// itself allocates nothing, so the count is the step's.
    public static func training(
        _ config: ModelConfig, on data: Dataset, batchSize: Int, steps: Int, runs: Int,
        threads: Int, engine: TrainingEngine, splitBatches: Bool, seed: UInt64,
        counter: AllocationCounter?
    ) throws -> Result {
        try config.validate()
        guard steps > 0, runs > 0, batchSize > 0, batchSize < data.count else {
            throw LatentError(.training, "steps, runs and batchSize must be positive, batchSize below the data's size")
        }
        var rng = RandomGenerator(seed: seed)
        let model = makeModel(config, rng: &rng)
        let adam = try Adam.training(model)
        TrainingStep.configureBLAS(for: config, threads: threads, splitBatches: splitBatches)
        let step = try TrainingStep(
            model, optimizer: adam, threads: threads, batchSize: batchSize, engine: engine,
            splitBatches: splitBatches)
        let x = Tensor(uninitialized: [batchSize, data.featureCount])
        let batch = Batch(x: x, labels: (0..<batchSize).map { Int(data.labels[$0]) })
        var indices = [Int](repeating: 0, count: batchSize)  // reused: the loop itself allocates nothing
        var rates: [Double] = []
        var allocations: (count: Double, bytes: Double)? = nil
        for run in 0...(runs + (counter == nil ? 0 : 1)) {
            let counting = run == runs + 1
            if counting { counter?.start() }
            let start = Date()
            for i in 0..<steps {
                let first = (i * batchSize) % (data.count - batchSize)
                for j in 0..<batchSize { indices[j] = first + j }
                data.fill(x, indices: indices[...])
                _ = step.train(batch, rng: &rng)
            }
            let rate = Double(steps * batchSize) / Date().timeIntervalSince(start)
            if counting, let (count, bytes) = counter?.stop() {
                allocations = (Double(count) / Double(steps), Double(bytes) / Double(steps))
            } else if run > 0 && !counting {
                rates.append(rate)  // run 0 warms up caches, pools and BLAS threads
            }
        }
        rates.sort()
        return Result(
            imagesPerSecond: rates[rates.count / 2], runs: rates, engine: step.description,
            allocations: allocations)
    }

    /// The matrix products of one training step of the MLP VAE `784-hidden-latent` (forward, and backward
    /// without the data's input gradient), timed alone: FLOP/s at these shapes and the images/s they would
    /// allow. Measured both ways the threads can share the products (the batch split over data-parallel
    /// workers with single-threaded BLAS, as training does, and threads inside each BLAS call); the limit is
    /// the faster.
    public static func gemmLimit(
        hidden: [Int], latent: Int, batchSize: Int, steps: Int, runs: Int, threads: Int
    )
        -> [(name: String, flopsPerImage: Double, flopsPerSecond: Double)]
    {
        let layers = vaeLayers(hidden: hidden, latent: latent)
        let flops = Double(gemmShapes(layers, rows: batchSize).reduce(0) { $0 + 2 * $1.m * $1.n * $1.k })
        var results: [(String, Double, Double)] = []
        if threads > 1 {
            let rate = measure(layers, batchSize: batchSize, workers: threads, blasThreads: 1, steps: steps, runs: runs)
            results.append(
                (
                    "\(threads) data-parallel workers (single-threaded BLAS)", flops / Double(batchSize),
                    flops * rate
                ))
        }
        let rate = measure(layers, batchSize: batchSize, workers: 1, blasThreads: threads, steps: steps, runs: runs)
        results.append(("\(threads) BLAS thread\(threads == 1 ? "" : "s")", flops / Double(batchSize), flops * rate))
        return results
    }

    typealias GEMMShape = (m: Int, n: Int, k: Int, ta: Bool, tb: Bool)

    /// Encoder layers, both heads, decoder layers: (inputs, outputs, whether the input gradient is needed).
    static func vaeLayers(hidden: [Int], latent: Int) -> [(inp: Int, out: Int, needsInputGrad: Bool)] {
        let widths = [784] + hidden
        var layers: [(inp: Int, out: Int, needsInputGrad: Bool)] = []
        for i in 0..<(widths.count - 1) { layers.append((widths[i], widths[i + 1], i > 0)) }
        layers.append((widths[widths.count - 1], latent, true))
        layers.append((widths[widths.count - 1], latent, true))
        let dec = [latent] + widths.reversed()
        for i in 0..<(dec.count - 1) { layers.append((dec[i], dec[i + 1], true)) }
        return layers
    }

    /// y = x·Wᵀ ([B,in]·[out,in]ᵀ), dW = gᵀ·x, dx = g·W for each layer.
    static func gemmShapes(_ layers: [(inp: Int, out: Int, needsInputGrad: Bool)], rows: Int) -> [GEMMShape] {
        layers.flatMap { l in
            [(rows, l.out, l.inp, false, true), (l.out, l.inp, rows, true, false)]
                + (l.needsInputGrad ? [(rows, l.inp, l.out, false, false)] : [])
        }
    }

    /// Median steps per second of the step's products with the batch split over `workers`, BLAS on
    /// `blasThreads`.
    static func measure(
        _ layers: [(inp: Int, out: Int, needsInputGrad: Bool)], batchSize: Int, workers: Int,
        blasThreads: Int, steps: Int, runs: Int
    ) -> Double {
        BLAS.setThreads(blasThreads)
        let work = (0..<workers).map { w in
            gemmShapes(layers, rows: (w + 1) * batchSize / workers - w * batchSize / workers).map { s in
                (
                    s, Tensor(repeating: 0.01, shape: s.ta ? [s.k, s.m] : [s.m, s.k]),
                    Tensor(repeating: 0.01, shape: s.tb ? [s.n, s.k] : [s.k, s.n]), Tensor(zeros: [s.m, s.n])
                )
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
            if run > 0 { rates.append(Double(steps) / Date().timeIntervalSince(start)) }
        }
        return rates.sorted()[rates.count / 2]
    }
}
