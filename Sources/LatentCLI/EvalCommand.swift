import ArgumentParser
import Foundation
import Latent

/// `latent eval`: test-set metrics of a saved model, or a CVAE's generations judged by a classifier.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a saved model on the test set (metrics that fit its kind).")

    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @OptionGroup var data: DataOptions
    @Option(help: "Seed for the evaluation's sampling noise (default: the training seed).") var seed: UInt64?
    @Option(
        help:
            """
            A classifier's run directory. A conditional model: generate 1000 samples per label and report the \
            fraction classified as asked. Another variational model: judge --samples samples from --prior (the \
            classifier's mean confidence, and the Fréchet distance of its penultimate features from the test \
            images': an FID on this classifier).
            """
    )
    var judge: String?
    @Option(name: .customLong("samples-per-label"), help: "With --judge: samples generated per label.")
    var samplesPerLabel: Int = 1000
    @Option(help: "With --judge and an unconditional model: samples to judge.") var samples: Int = 10000
    @Option(
        help: "With --judge and an unconditional model: normal, gmm[:K[:full|diagonal]] or pixelcnn (see sample).")
    var prior = "normal"
    @Option(
        name: .customLong("iwae-k"),
        help:
            """
            Variational models: also estimate log p(x) by importance sampling with K samples per image (Burda et \
            al. 2015); reported as iwae_nll in nats.
            """
    )
    var iwaeK: Int?
    @Option(help: "With --iwae-k: only the first N test images.") var images: Int?
    @Flag(
        help: """
            Disentanglement of the codes from the data's ground-truth factors (--dataset dsprites): the mutual \
            information gap, the FactorVAE score and the SAP score, on the test split.
            """)
    var disentanglement = false
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        if let iwaeK, iwaeK < 1 {
            throw ValidationError("--iwae-k: expected a positive number of samples, got \(iwaeK)")
        }
        if let images { try bounded(images, "--images", 1...Int.max) }
        if let iwaeK { try bounded(iwaeK, "--iwae-k", 1...1_000_000) }
        try bounded(samplesPerLabel, "--samples-per-label", 1...100_000)
        try bounded(samples, "--samples", 2...100_000)
        do { _ = try CodePrior(parsing: prior) } catch let e as LatentError {
            throw ValidationError("--prior: \(e.message)")
        }
        if disentanglement && (judge != nil || iwaeK != nil) {
            throw ValidationError("--disentanglement is a report of its own; leave out --judge and --iwae-k")
        }
        if images != nil && iwaeK == nil { throw ValidationError("--images applies to --iwae-k; give --iwae-k K too") }
    }

    func run() throws {
        humanLinesToStderr = json
        threads.apply()
        if let judge { return try runJudge(judge) }
        if let iwaeK { return try runImportanceSampling(k: iwaeK) }
        if disentanglement { return try runDisentanglement() }
        let loaded = try ModelStore.load(URL(fileURLWithPath: directory))
        let test = try data.load(.test, for: loaded)
        let metrics = Evaluation.metrics(loaded.model, on: test, seed: seed ?? loaded.seed).values
        if json {
            var object: [String: Any] = metrics
            object["images"] = test.count
            object["kind"] = loaded.model.config.kind.rawValue
            try printJSON(object)
        } else {
            let kind = loaded.model.config.kind.rawValue
            say("\(kind) model in \(directory), \(test.name) (\(test.count) \(test.examplesName)):")
            for (k, v) in metrics.sorted(by: { $0.key < $1.key }) where k != "images" {
                say(String(format: "  %-20@ %.4f", k, v))
            }
        }
    }

    /// log p(x) by importance sampling, beside the ELBO of the same images.
    func runImportanceSampling(k: Int) throws {
        let loaded = try ModelStore.loadVAE(URL(fileURLWithPath: directory))
        let vae = loaded.model
        var test = try data.load(.test, for: loaded)
        if let images { test = test.prefix(min(images, test.count)) }
        let started = Date()
        let progress = ProgressReporter(live: ProgressReporter.stderrIsTerminal)
        let logLik = ImportanceSampling.logLikelihoods(
            vae, on: test, k: k, seed: seed ?? loaded.seed, threads: threads.count
        ) {
            progress.update("importance sampling, K = \(k)", done: $0, total: test.count)
        }
        progress.clear()
        let nll = -logLik.reduce(0, +) / Double(logLik.count)
        let metrics = Evaluation.metrics(vae, on: test, seed: seed ?? loaded.seed)
        let seconds = Date().timeIntervalSince(started)
        var object: [String: Any] = ["iwae_nll": nll, "iwae_k": k, "images": test.count, "seconds": seconds]
        if let elbo = metrics.elbo { object["elbo"] = elbo }
        if json {
            try printJSON(object)
        } else {
            say(
                String(
                    format: "%@ in %@, first %d test %@: −log p(x) ≈ %.3f nats (K = %d)%@  [%.1f s]",
                    vae.config.kind.rawValue, directory,
                    test.count, test.examplesName, nll, k,
                    metrics.elbo.map { String(format: "; ELBO %.3f", $0) } ?? "", seconds))
        }
    }

    func runJudge(_ judgeDirectory: String) throws {
        let url = URL(fileURLWithPath: directory), judge = URL(fileURLWithPath: judgeDirectory)
        if prior != "normal" {
            let generator = try ModelStore.loadReconstructing(url)
            return try judgeSamples(generator, try ModelStore.loadClassifier(judge).model)
        }
        let generator = try ModelStore.loadGenerative(url)
        let classifier = try ModelStore.loadClassifier(judge)
        if !generator.config.isConditional {
            return try judgeSamples(generator.map { $0 as any ReconstructingModel }, classifier.model)
        }
        let result = try Judge.accuracy(
            of: generator.model, judgedBy: classifier.model, samplesPerLabel: samplesPerLabel,
            seed: seed ?? generator.seed)
        let perLabel = Dictionary(uniqueKeysWithValues: result.perLabel.enumerated().map { (String($0), $1) })
        if json {
            try printJSON([
                "judged_accuracy": result.accuracy, "per_label": perLabel, "samples_per_label": samplesPerLabel,
            ])
        } else {
            say(String(format: "judged accuracy %.4f over %d samples per label", result.accuracy, samplesPerLabel))
            for (l, a) in result.perLabel.enumerated() { say(String(format: "  label %d: %.4f", l, a)) }
        }
    }
}

extension EvalCommand {
    /// `--disentanglement`: the mutual information gap, the FactorVAE score and the SAP score on the test split.
    func runDisentanglement() throws {
        let started = Date()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        let test = try data.load(.test, for: loaded)
        let scores = try DisentanglementScores.measure(loaded.model, on: test, seed: seed ?? loaded.seed)
        let seconds = Date().timeIntervalSince(started)
        let kind = loaded.model.config.kind.rawValue
        if json {
            var object = scores.values
            (object["kind"], object["data"], object["seconds"]) = (kind, test.name, seconds)
            return try printJSON(object)
        }
        say("\(kind) model in \(directory), \(test.name) (\(test.count) images):")
        say(String(format: "  mutual information gap %.4f (%d examples)", scores.mig, scores.examples))
        for (name, gap) in zip(scores.factors, scores.migPerFactor) { say(String(format: "    %-12@ %.4f", name, gap)) }
        say(
            String(
                format: "  SAP score %.4f (linear classifiers fitted on %d examples, tested on %d)", scores.sap,
                scores.sapExamples.train, scores.sapExamples.test))
        say(
            String(
                format: "  FactorVAE score %.4f (training votes %.4f; %d + %d votes of 64)  [%.1f s]",
                scores.factorVAEEval, scores.factorVAETrain, scores.votes.train, scores.votes.eval, seconds))
    }

    /// `--judge` for an unconditional model: the classifier's view of samples from `--prior`, beside the test images.
    func judgeSamples(
        _ generator: ModelStore.Loaded<any ReconstructingModel>, _ classifier: any ClassifyingModel
    )
        throws
    {
        let started = Date()
        let test = try data.load(.test, for: generator, binarizeTest: false)
        let pictures = try CodePrior(parsing: prior).pictures(
            for: generator, count: samples, seed: seed ?? generator.seed,
            train: { try data.load(.train, for: generator, binarizeTest: false) },
            directory: runDirectory(directory), notes: { say($0) })
        let q = try Judge.quality(of: pictures, against: test.batch(0..<test.count), judgedBy: classifier)
        let seconds = Date().timeIntervalSince(started)
        if json {
            try printJSON([
                "prior": prior, "samples": samples, "confidence": q.confidence, "confident_share": q.confidentShare,
                "class_shares": q.classShares, "classifier_frechet_distance": q.frechet, "seconds": seconds,
            ])
        } else {
            say(
                String(
                    format: "%d samples from the %@ prior: classifier confidence %.4f (%.1f%% of samples ≥ 0.9), "
                        + "Fréchet distance on its features from the %d test images %.3f  [%.1f s]",
                    samples, prior, q.confidence, 100 * q.confidentShare, test.count, q.frechet, seconds))
            say("  class shares: " + q.classShares.map { String(format: "%.3f", $0) }.joined(separator: " "))
        }
    }
}

/// Prints one JSON object on stdout (NaN and infinities as null, which JSON has no number for; true and false
/// read back by `JSONSerialization` kept as booleans, not bridged to 1 and 0).
func printJSON(_ object: [String: Any]) throws {
    guard !quietProcess else { return }
    func clean(_ value: Any) -> Any {
        switch value {
        case let n as NSNumber where String(cString: n.objCType) == "c": n.boolValue
        case let d as Double: d.isFinite ? d : NSNull()
        case let f as Float: f.isFinite ? Double(f) : NSNull()
        case let a as [Any]: a.map(clean)
        case let o as [String: Any]: o.mapValues(clean)
        default: value
        }
    }
    let data = try JSONSerialization.data(withJSONObject: clean(object), options: [.sortedKeys])
    try? FileHandle.standardOutput.write(contentsOf: data + Data("\n".utf8))
}
