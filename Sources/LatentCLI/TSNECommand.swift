import ArgumentParser
import Foundation
import Latent

/// `latent tsne`: a 2-D t-SNE map of codes or of a dataset, with its 10-NN accuracy when labels are known.
struct TSNECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsne",
        abstract: "Embed codes or a dataset in 2-D with t-SNE; picture (.png/.svg/.pdf) or coordinates (.npy/.csv).",
        discussion:
            """
            Defaults follow openTSNE: perplexity 30, 250 early-exaggeration iterations then 500 more, PCA \
            initialisation. Repulsion: exact below 1,000 points, Barnes-Hut below 18,000, FFT interpolation above.
            """
    )
    @OptionGroup var input: EmbeddingInput
    @Option(
        help:
            """
            Output: .png, .svg, .pdf (a scatter coloured by label) or .npy/.csv (coordinates, label last); may be \
            repeated.
            """
    ) var out: [String] = []
    @Option(help: "Perplexity (effective number of neighbours).") var perplexity: Double = 30
    @Option(help: "Iterations in all, including the 250 with early exaggeration.") var iterations: Int = 750
    @Option(help: "Repulsion: auto, exact, bh (Barnes-Hut) or fft (interpolation).") var method: String = "auto"
    @Option(help: "Barnes-Hut accuracy: cells smaller than θ × distance count as one body.") var theta: Float = 0.5
    @Option(
        help:
            """
            Reduce the input to this many principal components first (default: 50 for a dataset, none for a codes \
            file; 0 for none).
            """
    ) var pca: Int?
    @Option(
        help:
            """
            Accepted like every command's --seed; the result does not depend on it (PCA start, exact neighbours: \
            t-SNE here is deterministic).
            """
    ) var seed: UInt64 = 0
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out: give an output file (.png, .svg, .pdf, .npy or .csv)") }
        for o in out {
            try validateEmbeddingOutput(o)
            try refuseOverwriting(o, inputs: [input.input, input.data.dataFile, input.data.testDataFile])
        }
        guard perplexity > 0, perplexity <= 10_000 else {
            throw ValidationError("--perplexity: expected a number in (0, 10000], got \(perplexity)")
        }
        guard iterations >= 1, iterations <= 100_000 else {
            throw ValidationError("--iterations: expected 1…100,000, got \(iterations)")
        }
        guard TSNE.Method(rawValue: method) != nil else {
            throw ValidationError("--method: expected auto, exact, bh or fft, got '\(method)'")
        }
        guard theta >= 0 && theta <= 1.5 else { throw ValidationError("--theta: expected 0…1.5, got \(theta)") }
        if let pca, pca < 0 || pca > 1 << 20 {
            throw ValidationError("--pca: expected a number of components ≥ 0, got \(pca)")
        }
    }

    @Flag(help: "Print one JSON object (points, dims, method, seconds, knn10_accuracy); progress goes to stderr.")
    var json = false

    func run() throws {
        humanLinesToStderr = json
        threads.apply()
        let started = Date()
        var (x, labels, name, isDataset, classNames) = try input.load()
        guard x.shape[0] >= TSNE.minimumPoints else {
            let hint = isDataset ? " (--split train or all gives more)" : ""
            throw ValidationError("\(name) has \(x.shape[0]) row(s); t-SNE needs at least \(TSNE.minimumPoints)\(hint)")
        }
        let components = pca ?? (isDataset ? 50 : 0)
        var described = name
        if components > 0 && components < x.shape[1] {
            x = try PCA(fitting: x, components: components).transform(x)
            described += ", PCA \(components)"
        }
        var tsne = TSNE()
        tsne.perplexity = perplexity
        tsne.iterations = iterations
        tsne.earlyExaggerationIterations = min(250, iterations)
        tsne.method = TSNE.Method(rawValue: method)!
        tsne.theta = theta
        tsne.threads = threads.count
        say(
            """
            t-SNE of \(x.shape[0]) points × \(x.shape[1]) dims (\(described)), method \
            \(tsne.resolvedMethod(points: x.shape[0]).rawValue)
            """
        )
        let y = try tsne.embed(x) { event in
            switch event {
            case .stage(let s): say("  \(s)  [\(String(format: "%.1f", Date().timeIntervalSince(started))) s]")
            case .iteration(let i, let kl):
                say(String(format: "  iteration %4d  KL %.4f  [%.1f s]", i, kl, Date().timeIntervalSince(started)))
            }
        }
        let seconds = Date().timeIntervalSince(started)
        say(String(format: "embedded %d points in %.1f s", x.shape[0], seconds))
        var title = "t-SNE of \(described)"
        let accuracy = labels.map { KNNAccuracy.score(y, labels: $0, k: 10, threads: threads.count) }
        if let accuracy {
            say(String(format: "knn10_accuracy %.4f", accuracy))
            title += String(format: " (10-NN accuracy %.3f)", accuracy)
        }
        for o in out {
            try writeEmbedding(y, labels: labels, classNames: classNames, to: o, title: title, axis: "t-SNE ")
        }
        if json {
            var object: [String: Any] = [
                "points": x.shape[0], "dims": x.shape[1], "seconds": seconds, "outputs": out,
                "method": tsne.resolvedMethod(points: x.shape[0]).rawValue,
            ]
            if let accuracy { object["knn10_accuracy"] = accuracy }
            try printJSON(object)
        }
    }
}
