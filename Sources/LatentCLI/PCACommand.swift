import ArgumentParser
import Foundation
import Latent

/// `latent pca`: PCA of a dataset (fitted on its training set, judged by test reconstruction error) or of a
/// codes file, optionally writing the projected rows.
struct PCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pca",
        abstract:
            """
            Fit PCA (LAPACK): report reconstruction error (test_mse for a dataset: squared error summed over \
            pixels, per image) and optionally write the components' codes.
            """
    )
    @OptionGroup var input: EmbeddingInput
    @Option(help: "Number of components.") var components: Int = 32
    @Option(help: "Write the codes: .npy/.csv (label last when known) or a .png/.svg/.pdf scatter of the first two.")
    var out: String?
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard components >= 1 && components <= 1 << 20 else {
            throw ValidationError("--components: expected 1…1,048,576, got \(components)")
        }
        if let out {
            try validateEmbeddingOutput(out)
            try refuseOverwriting(out, inputs: [input.input, input.data.dataFile, input.data.testDataFile])
        }
    }

    func run() throws {
        humanLinesToStderr = json
        threads.apply()
        let pca: PCA, rows: Tensor, labels: [Int]?, name: String, mse: Double, classNames: [String]?
        if input.input == nil {
            // A dataset: fitted on the training split, judged on the test split.
            let train = try input.data.load(.train), test = try input.data.load(.test)
            pca = try PCA(fitting: train.batch(0..<train.count), components: components)
            mse = pca.meanSquaredError(test.batch(0..<test.count))
            let shown = out != nil && input.split != "test"
            if shown {
                let loaded = try input.load()
                (rows, labels, name, classNames) = (loaded.x, loaded.labels, loaded.name, loaded.classNames)
            } else {
                (rows, labels, classNames) = (test.batch(0..<test.count), test.knownLabels, test.classNames)
                name = "\(input.data.sourceName)-test"
            }
        } else {
            let loaded = try input.load()
            pca = try PCA(fitting: loaded.x, components: components)
            mse = pca.meanSquaredError(loaded.x)
            (rows, labels, name, classNames) = (loaded.x, loaded.labels, loaded.name, loaded.classNames)
        }
        let explained = pca.explainedVariance.reduce(0) { $0 + Double($1) }
        let key = input.input == nil ? "test_mse" : "mse"
        if json {
            try printJSON(["components": components, key: mse, "explained_variance": explained, "rows": rows.shape[0]])
        } else {
            say(
                String(
                    format: "PCA with %d component%@: %@ %.4f (explained variance %.2f)", components,
                    components == 1 ? "" : "s", key, mse, explained
                ))
        }
        if let out {
            let codes = pca.transform(rows)
            var title = "PCA of \(name)"
            if components == 2, let labels {
                let accuracy = KNNAccuracy.score(codes, labels: labels, k: 10, threads: threads.count)
                say(String(format: "knn10_accuracy %.4f", accuracy))
                title += String(format: " (10-NN accuracy %.3f)", accuracy)
            }
            try writeEmbedding(codes, labels: labels, classNames: classNames, to: out, title: title, axis: "PC")
        }
    }
}
