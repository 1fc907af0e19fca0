import Foundation
import Latent
import Testing

/// The planned step (`--engine planned`) must compute what the graph computes: same loss, same gradients,
/// from the same noise, for every activation, depth and thread count it covers.
@Suite struct PlannedStepTests {
    /// Loss and gradient (the sum of the step's buffers) of one step on `engine`.
    static func step(
        _ model: any TrainableModel, _ parameters: ParameterSet, engine: TrainingEngine, threads: Int,
        batch: Batch, seed: UInt64, klWeight: Float? = nil, capacity: Int? = nil
    ) throws
        -> (loss: Float, grads: Tensor, description: String)
    {
        let adam = try Adam(parameters)
        let step = try TrainingStep(
            model, optimizer: adam, threads: threads, batchSize: capacity ?? batch.x.shape[0], engine: engine)
        if engine == .planned {  // the planned step must write every gradient, not rely on zeroing
            step.gradients.fill(.nan)
        }
        var rng = RandomGenerator(seed: seed)
        let loss = step.lossAndGradients(batch, klWeight: klWeight, rng: &rng)
        return (loss, step.gradients.total(shape: parameters.grads.shape), step.description)
    }

    /// Compares the engines on the first `rows` examples, with steps made for batches of `capacity` (default: rows).
    static func compare(
        _ c: ModelConfig, threads: Int, klWeight: Float = 1, rows: Int = 64, capacity: Int? = nil
    ) throws {
        var rng = RandomGenerator(seed: 7)
        let model = makeModel(c, rng: &rng)
        let parameters = ParameterSet(model)
        let full = FamilyTests.batch
        let batch = Batch(x: full.x.rows(0..<rows), labels: Array(full.labels[0..<rows]))
        let graph = try step(
            model, parameters, engine: .graph, threads: threads, batch: batch, seed: 11,
            klWeight: klWeight, capacity: capacity)
        let planned = try step(
            model, parameters, engine: .planned, threads: threads, batch: batch, seed: 11,
            klWeight: klWeight, capacity: capacity)
        #expect(planned.description.hasPrefix("planned"))
        #expect(graph.description.hasPrefix("graph"))
        let label = "\(c.kind) \(c.activation) hidden \(c.hidden) threads \(threads) klWeight \(klWeight)"
        #expect(
            abs(planned.loss - graph.loss) / abs(graph.loss) < 1e-5, "\(label): loss \(planned.loss) vs \(graph.loss)")
        let allWritten = planned.grads.array.allSatisfy { $0.isFinite }
        #expect(allWritten, "\(label): a gradient was left unwritten")
        let error = Support.relativeError(planned.grads, graph.grads)
        #expect(error < 1e-4, "\(label): gradient relative error \(error)")
    }

    @Test(arguments: Activation.allCases)
    func vaeMatchesTheGraph(_ activation: Activation) throws {
        var c = ModelConfig(kind: .vae)
        c.hidden = [48, 24]
        c.latent = 6
        c.activation = activation
        try Self.compare(c, threads: 1, klWeight: 0.3)
    }

    @Test(arguments: Activation.allCases)
    func aeMatchesTheGraph(_ activation: Activation) throws {
        var c = ModelConfig(kind: .ae)
        c.hidden = [40]
        c.latent = 5
        c.activation = activation
        try Self.compare(c, threads: 1)
    }

    @Test func shallowAndDataParallelStepsMatchTheGraph() throws {
        var vae = ModelConfig(kind: .vae)
        vae.hidden = []
        vae.latent = 3  // heads read the pixels directly
        try Self.compare(vae, threads: 1)
        vae.hidden = [32]
        try Self.compare(vae, threads: 2)  // one seed per worker, as DataParallel draws them
        try Self.compare(vae, threads: 3, rows: 7)  // uneven shares
        var ae = ModelConfig(kind: .ae)
        ae.hidden = []
        ae.latent = 4
        try Self.compare(ae, threads: 2)
        try Self.compare(ae, threads: 2, rows: 1)  // a worker with no rows
    }

    /// Layers with products past `smallProduct` multiply-adds write their input gradient directly (the heads add
    /// theirs into the same buffer); a partial batch takes that path with a small product.
    @Test func largeProductsMatchTheGraph() throws {
        var vae = ModelConfig(kind: .vae)
        (vae.hidden, vae.latent) = ([512], 128)  // heads: 32 rows × 512 × 128 multiply-adds per worker
        try Self.compare(vae, threads: 1)
        try Self.compare(vae, threads: 2)
        try Self.compare(vae, threads: 2, rows: 9, capacity: 64)
    }

    /// A team of workers computes, bit for bit, the gradient that one worker per share computes, summed: what
    /// processes under `mpirun` do, and must, to train to the same weights as threads. OpenBLAS sums a block of
    /// rows in another order when it starts elsewhere (Haswell and Zen kernels), so the weight gradients' products
    /// start on `PlannedTeam.rowGrid`; the layers are as wide as the reference VAE's, where that shows.
    @Test(arguments: [2, 3])
    func aTeamComputesItsSharesGradientsSummed(threads: Int) throws {
        var c = ModelConfig(kind: .ae)
        (c.hidden, c.latent) = ([400], 20)
        var rng = RandomGenerator(seed: 7)
        let model = makeModel(c, rng: &rng)
        let parameters = ParameterSet(model)
        let x = FamilyTests.batch.x, n = x.shape[0]
        let summed = Tensor(zeros: parameters.grads.shape)
        for w in 0..<threads {
            let share = Batch(x: x.rows(w * n / threads..<(w + 1) * n / threads).copy())
            summed.add(try Self.step(model, parameters, engine: .planned, threads: 1, batch: share, seed: 1).grads)
        }
        for attempt in 0..<5 {  // which member takes which run varies from step to step; the bits must not
            let team = try Self.step(
                model, parameters, engine: .planned, threads: threads, batch: Batch(x: x), seed: 1)
            let differing = zip(team.grads.array, summed.array).filter { $0 != $1 }.count
            #expect(differing == 0, "\(threads) workers, step \(attempt): \(differing) of \(summed.count) differ")
        }
    }

    /// A team's queue of weight-gradient runs covers every row of every layer once, each run within one layer and
    /// starting on the row grid, the layers in the backward pass's order but those too small to cut last, no run
    /// larger than a slice that stays in cache (or than one piece); with two members the reference VAE's runs shrink
    /// towards the end, so the member that is free first takes more.
    @Test func aTeamsQueueCoversEveryRowOnceOnTheGrid() {
        let layers: [(outputs: Int, inputs: Int)] = [(400, 784), (20, 400), (20, 400), (400, 20), (784, 400)]
        let order = [4, 3, 1, 2, 0]  // the reference VAE's: decoder last first, heads, encoder
        for members in 1...3 {
            let runs = PlannedTeam.queue(layers, order: order, members: members)
            let keys = runs.map(\.key).reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
            #expect(keys == [4, 0, 3, 1, 2])  // the heads and the layer from the code are too small to cut
            for key in order {
                let rows = runs.filter { $0.key == key }.map(\.rows)
                #expect(rows.first?.lowerBound == 0 && rows.last?.upperBound == layers[key].outputs)
                #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect(rows.allSatisfy { $0.lowerBound % PlannedTeam.rowGrid == 0 && !$0.isEmpty })
                #expect(rows.allSatisfy { $0.count <= 192 || $0.count * layers[key].inputs * 4 <= 1 << 20 })
            }
        }
        let two = PlannedTeam.queue(layers, order: order, members: 2).map { [$0.key, $0.rows.count] }
        #expect(
            two == [
                [4, 384], [4, 288], [4, 112], [0, 96], [0, 96], [0, 96], [0, 112], [3, 400], [1, 20], [2, 20],
            ])
    }

    /// `TrainingStep.train` on MLP plans updates each layer's slices inside the backward pass (`PlannedTeam`):
    /// the parameters and moments after it are those of the loss and gradients followed by the optimiser's own
    /// step, bit for bit, on 1, 2 and 3 workers (uneven shares, a worker with no rows), with gradient clipping
    /// (which is not sliced), and a non-finite loss updates nothing.
    @Test(arguments: [1, 2, 3])
    func updatesInsideTheBackwardPassEqualTheOptimizersStep(threads: Int) throws {
        for (kind, rows, clip) in [(ModelKind.vae, 64, nil), (.vae, 7, nil), (.ae, 2, nil), (.vae, 64, Float(1))] {
            var c = ModelConfig(kind: kind)
            (c.hidden, c.latent) = ([32, 16], 4)
            func run(fused: Bool, poison: Bool = false) throws -> (values: [Float], m: [Float], steps: Int) {
                var rng = RandomGenerator(seed: 3)
                let model = makeModel(c, rng: &rng)
                let adam = try Adam(ParameterSet(model))
                adam.clipGradientNorm = clip
                let step = try TrainingStep(model, optimizer: adam, threads: threads, batchSize: 64)
                let x = FamilyTests.batch.x.rows(0..<rows).copy()
                if poison { x.data[rows / 2] = .nan }
                var noise = RandomGenerator(seed: 4)
                for _ in 0..<3 {
                    if fused {
                        _ = step.train(Batch(x: x), rng: &noise)
                    } else if step.lossAndGradients(Batch(x: x), rng: &noise).isFinite {
                        step.update()
                    }
                }
                return (adam.parameters.values.array, adam.m.array, adam.stepCount)
            }
            let label = "\(kind), \(rows) rows, \(threads) threads, clip \(String(describing: clip))"
            let fused = try run(fused: true), separate = try run(fused: false)
            #expect(fused.steps == 3 && separate.steps == 3, "\(label)")
            #expect(fused.values == separate.values && fused.m == separate.m, "\(label)")
            let poisoned = try run(fused: true, poison: true)
            var rng = RandomGenerator(seed: 3)
            let initial = ParameterSet(makeModel(c, rng: &rng)).values.array
            #expect(poisoned.steps == 0 && poisoned.values == initial, "\(label): a NaN loss changed the model")
        }
    }

    /// The 28x28 conv body's plan (full batches on oneDNN's kernels where they are used, 8 channels and up taking
    /// every one of them; partial ones on im2col, chunk for chunk as the graph's ops) against the graph, with the
    /// data-parallel split and a chunk boundary inside a worker's share.
    @Test(arguments: [(ModelKind.vae, 1), (.vae, 2), (.ae, 2)])
    func convMatchesTheGraph(kind: ModelKind, threads: Int) throws {
        var c = ModelConfig(kind: kind)
        (c.arch, c.convChannels, c.hidden, c.latent) = (.conv, [8, 16], [24], 5)
        try Self.compare(c, threads: threads, rows: 48)
        c.hidden = []  // heads read the flattened features
        c.activation = .leakyRelu
        try Self.compare(c, threads: threads, rows: 9)
    }

    /// The deep conv body's plan (BatchNorm with batch statistics, shared by the workers) against the graph.
    @Test(arguments: [(ModelKind.vae, 1), (.vae, 2), (.ae, 2)])
    func deepConvMatchesTheGraph(kind: ModelKind, threads: Int) throws {
        var c = ModelConfig(kind: kind)
        (c.arch, c.convChannels, c.hidden, c.latent, c.activation) = (.deepconv, [8, 16], [], 5, .leakyRelu)
        try Self.compare(c, threads: threads, rows: 16)
        try Self.compare(c, threads: threads, rows: 3)
    }

    @Test func modelsWithoutAPlanAreRefusedOrFallBack() throws {
        var rng = RandomGenerator(seed: 1)
        for (kind, edit) in [
            (ModelKind.cvae, { (_: inout ModelConfig) in }),
            (.dae, { $0.noise = Corruption(kind: .gaussian, amount: 0.3) }),
            (
                .vae,
                { $0.freeBits = 0.5 }
            ), (.vae, { $0.likelihood = .gaussian }),
        ] {
            var c = ModelConfig(kind: kind)
            c.hidden = [16]
            c.latent = 2
            edit(&c)
            let model = makeModel(c, rng: &rng)
            let adam = try Adam(ParameterSet(model))
            #expect(throws: LatentError.self) {
                try TrainingStep(model, optimizer: adam, threads: 1, batchSize: 8, engine: .planned)
            }
            let auto = try TrainingStep(model, optimizer: adam, threads: 1, batchSize: 8, engine: .auto)
            #expect(auto.engine == .graph, "\(kind) \(c.arch) \(c.likelihood)")
        }
    }

    /// A step that cannot fit in memory (an IWAE of 5000 importance samples on batches of 128: ~37 GB) is refused
    /// by name before anything is allocated, instead of meeting the OOM killer; ordinary ones are not.
    @Test func aStepThatCannotFitIsRefusedByName() throws {
        var rng = RandomGenerator(seed: 1)
        var c = ModelConfig(kind: .iwae)
        c.importanceSamples = 5000
        let iwae = makeModel(c, rng: &rng)
        let estimate = 128 * 5000 * c.trainingValuesPerExample * 4
        #expect(estimate > 30e9 && estimate < 45e9, "\(estimate) bytes")
        if let machine = MemoryBudget.machineBytes, machine < estimate {
            let error = #expect(throws: LatentError.self) {
                try TrainingStep(iwae, optimizer: try Adam(ParameterSet(iwae)), threads: 1, batchSize: 128)
            }
            #expect(
                error?.field == "importanceSamples" && "\(error!)".contains("needs ~"), "\(String(describing: error))")
        }
        // Refused before the run announces itself (a step far beyond any machine: 60,000 rows × 5000 samples).
        let cli = try Support.runLatent([
            "train", "--model", "iwae", "--k", "5000", "--batch-size", "100000", "--out",
            Support.temporaryDirectory("too-big").path,
        ])
        #expect(cli.status != 0 && cli.stderr.contains("--k: a training step on batches of 60000 × 5000"))
        #expect(!cli.stdout.contains("training iwae"), "\(cli.stdout)")
        // Calibration: 784-400-20 measured ~13,300 floats per sample; MNIST in one batch of 60,000 is ~3.5 GB.
        #expect(abs(c.trainingValuesPerExample / 13_300 - 1) < 0.2, "\(c.trainingValuesPerExample)")
        let vae = makeModel(ModelConfig(kind: .vae), rng: &rng)
        #expect(60_000 * vae.config.trainingValuesPerExample * 4 < 4e9)
        _ = try TrainingStep(vae, optimizer: try Adam(ParameterSet(vae)), threads: 1, batchSize: 4096)
    }

    @Test func trainingOnEitherEngineGivesTheSameCurve() throws {
        func run(_ engine: TrainingEngine, threads: Int) throws -> [EpochMetrics] {
            let train = try MNIST.load(.train).prefix(1000), test = try MNIST.load(.test).prefix(200)
            var rng = RandomGenerator(seed: 5, stream: .initialization)
            var c = ModelConfig(kind: .vae)
            c.hidden = [32]
            c.latent = 4
            var options = TrainingOptions(outputDirectory: Support.temporaryDirectory("engine-\(engine)-\(threads)"))
            options.epochs = 2
            options.batchSize = 50
            options.seed = 5
            options.threads = threads
            options.engine = engine
            return try Trainer(options: options) { _ in }.run(makeModel(c, rng: &rng), train: train, test: test)
        }
        for threads in [1, 2] {
            let graph = try run(.graph, threads: threads), planned = try run(.planned, threads: threads)
            for (g, p) in zip(graph, planned) {
                #expect(
                    abs(g.trainLoss - p.trainLoss) / g.trainLoss < 1e-4,
                    "\(threads) threads: \(g.trainLoss) vs \(p.trainLoss)")
                #expect(
                    abs(g.testLoss - p.testLoss) / g.testLoss < 1e-4,
                    "\(threads) threads: \(g.testLoss) vs \(p.testLoss)")
            }
            let again = try run(.planned, threads: threads)
            #expect(again.map(\.trainLoss) == planned.map(\.trainLoss))  // reproducible
        }
    }
}

@Suite struct EngineCommandTests {
    @Test func trainSaysWhichEngineAndRefusesImpossibleOnes() throws {
        let dir = Support.temporaryDirectory()
        let r = try Support.runLatent([
            "train", "--epochs", "1", "--limit", "256", "--hidden", "16", "--latent", "2",
            "--out", dir.path, "--no-progress",
        ])
        #expect(r.status == 0 && (r.stdout + r.stderr).contains("engine: planned"), "\(r.stderr)")
        let g = try Support.runLatent([
            "train", "--epochs", "1", "--limit", "256", "--hidden", "16", "--latent", "2",
            "--engine", "graph", "--out", dir.path, "--no-progress", "--force",
        ])
        #expect(g.status == 0 && (g.stdout + g.stderr).contains("engine: graph"), "\(g.stderr)")
        try Support.expectRefused([
            (
                ["train", "--engine", "planned", "--model", "cvae", "--limit", "64", "--out", dir.path],
                "--engine planned"
            ),
            (
                ["train", "--engine", "planned", "--likelihood", "gaussian", "--limit", "64", "--out", dir.path],
                "--likelihood gaussian"
            ),
            (["train", "--engine", "fast", "--out", dir.path], "--engine"),
        ])
    }
}

@Suite struct ParallelTests {
    final class Squares: ParallelWork {
        let out: UnsafeMutableBufferPointer<Int>
        init(_ n: Int) {
            out = .allocate(capacity: n)
            out.initialize(repeating: -1)
        }
        deinit { out.deallocate() }
        func runPiece(_ i: Int) {
            // A nested fork takes helper threads of its own; it must still run every piece once.
            var inner = [Int](repeating: 0, count: 3)
            inner.withUnsafeMutableBufferPointer { b in
                let p = SendablePointer(b.baseAddress!)
                Parallel.forEach(3) { j in p.pointer[j] = j + 1 }
            }
            out[i] = i * i + inner.reduce(0, +) - 6
        }
    }

    @Test func everyPieceRunsOnceWithObjectsAndClosures() {
        for count in [1, 2, 5] {
            let work = Squares(count)
            Parallel.forEach(count, work)
            #expect(Array(work.out) == (0..<count).map { $0 * $0 })
        }
        var hits = [Int](repeating: 0, count: 4)
        hits.withUnsafeMutableBufferPointer { b in
            let p = SendablePointer(b.baseAddress!)
            Parallel.forEach(4) { i in p.pointer[i] += 1 }
        }
        #expect(hits == [1, 1, 1, 1])
    }

    /// Every piece has a thread of its own, even while other threads fork (tests and a server's requests do):
    /// pieces that wait for each other, as a `PlannedTeam`'s workers wait for each other's layers, all finish.
    /// (With one shared pool and Dispatch for the rest, a fork's pieces could wait for a piece that never got a
    /// thread.)
    @Test(.timeLimit(.minutes(1))) func piecesThatWaitForEachOtherFinishWhileOtherThreadsFork() {
        var rounds = [Int](repeating: 0, count: 9)
        rounds.withUnsafeMutableBufferPointer { b in
            let p = SendablePointer(b.baseAddress!)
            Parallel.forEach(3) { outer in
                let barrier = SpinBarrier(count: 3)
                for _ in 0..<50 {
                    Parallel.forEach(3) { inner in
                        barrier.wait()
                        p.pointer[outer * 3 + inner] += 1
                    }
                }
            }
        }
        #expect(rounds == [Int](repeating: 50, count: 9))
    }

    /// A `WakeEvent` passes every signal, whether its waiter is still polling, sleeps at once (poll 0), or gives up
    /// polling just as the signal comes (1 µs): two threads hand a counter back and forth through two events. (A lost
    /// signal leaves a thread asleep: the test hangs, as it did with `signal` not waking a sleeping waiter.)
    @Test(.timeLimit(.minutes(1))) func wakeEventsPassEverySignalWhetherTheWaiterPollsOrSleeps() {
        for poll in [0, 1_000, WakeEvent.pollNanoseconds] {
            let ping = WakeEvent(), pong = WakeEvent()
            var turns = [Int](repeating: 0, count: 2)
            turns.withUnsafeMutableBufferPointer { b in
                let p = SendablePointer(b.baseAddress!)
                Parallel.forEach(2) { side in
                    for _ in 0..<2000 {
                        if side == 0 {
                            p.pointer[0] += 1
                            ping.signal()
                            pong.wait(pollNanoseconds: poll)
                        } else {
                            ping.wait(pollNanoseconds: poll)
                            p.pointer[1] = p.pointer[0]
                            pong.signal()
                        }
                    }
                }
            }
            #expect(turns == [2000, 2000], "poll \(poll) ns")
        }
        #expect(SpinWait.cores >= 1)
        #expect(SpinWait.pollNanoseconds(500, threads: SpinWait.cores) == 500)
        #expect(SpinWait.pollNanoseconds(500, threads: SpinWait.cores + 1) == 0)
    }

    @Test func inPlaceSigmoidAndSoftplusMatchOutOfPlace() {
        let x = Support.random([3000], seed: 4, low: -30, high: 30)
        for f in [UnaryFunction.sigmoid, .softplus] {
            let expected = x.map(f), y = x.copy()
            Tensor.apply(f, y, into: y)
            #expect(y.array == expected.array)
        }
        #expect(Tensor([-2], shape: [1]).map(.sigmoid).scalar < 0.5)
    }
}
