import ArgumentParser
import Foundation
import Latent

/// `latent semisup`: classification with few labels on a model's codes, beside raw pixels and PCA codes.
struct SemisupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semisup",
        abstract:
            """
            Semi-supervised learning (M1): train a classifier on the codes of a few labelled training examples; \
            test error beside pixels and PCA.
            """,
        discussion:
            """
            The labelled examples are class-balanced and drawn with --seed. PCA uses as many components as the \
            model's code. spread is transductive (it sees the unlabelled training and test features, as M1+TSVM \
            does).
            """
    )
    @Argument(help: "Run directory of an ae, sae, dae, vae or cvae.") var directory: String
    @Option(help: "Number of labelled training examples (class-balanced).") var labels: Int = 100
    @Option(help: "logistic, knn, mlp, spread, or all.") var classifier: String = "all"
    @Option(help: "Seed for the labelled subset and the classifiers.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard classifier == "all" || SemiSupervised.Method(rawValue: classifier) != nil else {
            throw ValidationError("--classifier: expected logistic, knn, mlp, spread or all, got '\(classifier)'")
        }
        guard labels >= 2 else { throw ValidationError("--labels: expected at least 2, got \(labels)") }
    }

    func run() throws {
        humanLinesToStderr = json
        threads.apply()
        let loaded = try ModelStore.loadReconstructing(URL(fileURLWithPath: directory))
        let train = try data.load(.train, for: loaded, binarizeTest: false)
        let test = try data.load(.test, for: loaded, binarizeTest: false)
        let methods =
            classifier == "all" ? SemiSupervised.Method.allCases : [SemiSupervised.Method(rawValue: classifier)!]
        let (chosen, results) = try SemiSupervised.compare(
            loaded.model, train: train, test: test, labels: labels,
            methods: methods, seed: seed, threads: threads.count)
        if json {
            let errors = results.map { r in
                (r.features, Dictionary(uniqueKeysWithValues: r.errors.map { ($0.method.rawValue, $0.error) }))
            }
            return try printJSON(["labels": chosen, "test_error": Dictionary(uniqueKeysWithValues: errors)])
        }
        let classes = Int(train.labels.max() ?? 0) + 1
        say(
            "\(chosen) labelled training examples (\(chosen / classes) per class, seed \(seed)); test error on "
                + "\(test.count) test examples")
        say(
            String(repeating: " ", count: 24)
                + methods.map { $0.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) }.joined())
        for r in results {
            say(
                r.features.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + r.errors.map { String(format: "%6.2f%%    ", 100 * $0.error) }.joined())
        }
    }
}
