import ArgumentParser
import Foundation
import Latent

/// `latent encode`: the codes (AE) or posterior means (VAE) of a dataset split, with labels.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encode",
        abstract: "Write codes/latent means plus labels: .npy (float32 [N, D+1], label last) or .csv (z0…, label).")
    @Argument(help: "Run directory written by `latent train`.") var directory: String
    @Option(help: "Split: train or test.") var split: String = "test"
    @Option(help: "Output file, .npy or .csv.") var out: String
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard Split(rawValue: split) != nil else { throw ValidationError("--split: expected train or test, got '\(split)'") }
        guard out.hasSuffix(".npy") || out.hasSuffix(".csv") else { throw ValidationError("--out: expected a .npy or .csv file name, got '\(out)'") }
    }

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.load(URL(fileURLWithPath: directory), expecting: reconstructingKinds)
        guard let model = loaded.model as? any ReconstructingModel else { return }
        let set = try data.load(Split(rawValue: split)!)
        try checkFeatures(set, model, directory)
        let d = model.config.latent
        var values = [Float](repeating: 0, count: set.count * (d + 1))
        Evaluation.forEachBatch(set) { batch, range in
            let z = model.encode(batch.x, labels: batch.labels)
            for (r, i) in range.enumerated() {
                for j in 0..<d { values[i * (d + 1) + j] = z[r, j] }
                values[i * (d + 1) + d] = Float(batch.labels[r])
            }
        }
        let file = out.hasSuffix(".npy")
            ? ArrayWriters.npy(values, rows: set.count, columns: d + 1)
            : ArrayWriters.csv(values, rows: set.count, columns: d + 1, header: (0..<d).map { "z\($0)" } + ["label"])
        try AtomicFile.write(file, to: URL(fileURLWithPath: out))
        say("wrote \(out): \(set.count) rows of \(d) code values and a label")
    }
}

/// `latent pca`: PCA fitted on the training set, judged by test reconstruction error.
struct PCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pca",
        abstract: "Fit PCA (LAPACK) on the training set; report test_mse (squared error summed over pixels, per image).")
    @Option(help: "Number of components.") var components: Int = 32
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        threads.apply()
        let train = try data.load(.train), test = try data.load(.test)
        let pca = try PCA(fitting: train.batch(0..<train.count), components: components)
        let x = test.batch(0..<test.count)
        let mse = Evaluation.squaredErrors(pca.inverseTransform(pca.transform(x)), x).reduce(0, +) / Double(test.count)
        let explained = pca.explainedVariance.reduce(0) { $0 + Double($1) }
        if json {
            try printJSON(["components": components, "test_mse": mse, "explained_variance": explained, "images": test.count])
        } else {
            say(String(format: "PCA with %d components: test_mse %.4f (explained variance %.2f)", components, mse, explained))
        }
    }
}
