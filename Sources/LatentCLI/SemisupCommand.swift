import ArgumentParser
import Foundation
import Latent

/// `latent semisup`: classification with few labels on a model's codes, beside raw pixels and PCA codes.
struct SemisupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "semisup",
        abstract: "Semi-supervised learning (M1): train a classifier on the codes of a few labelled training examples; test error beside pixels and PCA.",
        discussion: "The labelled examples are class-balanced and drawn with --seed. PCA uses as many components as the model's code. spread is transductive (it sees the unlabelled training and test features, as M1+TSVM does).")
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
        threads.apply()
        let loaded = try ModelStore.load(URL(fileURLWithPath: directory), expecting: [.ae, .sae, .dae, .vae, .cvae, .iwae])
        guard let model = loaded.model as? any ReconstructingModel else { return }
        if model.config.kind == .cvae { throw ValidationError("\(directory): a cvae's codes are conditioned on the label it is asked to predict; use an ae or vae") }
        let train = try data.load(.train, for: loaded, directory: directory, binarizeTest: false)
        let test = try data.load(.test, for: loaded, directory: directory, binarizeTest: false)
        let classes = Int(train.labels.max() ?? 0) + 1
        guard labels >= classes, labels <= train.count else {
            throw ValidationError("--labels: expected \(classes)…\(train.count) (at least one per class), got \(labels)")
        }
        let trainLabels = train.labels.map(Int.init), testLabels = test.labels.map(Int.init)
        let chosen = SemiSupervised.balancedSubset(labels: trainLabels, count: labels, classes: classes, seed: seed)
        let methods = classifier == "all" ? SemiSupervised.Method.allCases : [SemiSupervised.Method(rawValue: classifier)!]
        let pixelsTrain = train.batch(0..<train.count), pixelsTest = test.batch(0..<test.count)
        let d = model.config.latent
        let pca = try PCA(fitting: pixelsTrain, components: min(d, pixelsTrain.shape[1]))
        let features: [(String, Tensor, Tensor)] = [
            ("\(model.config.kind.rawValue) codes (\(d)-d)", Figures.codes(model, on: train).codes, Figures.codes(model, on: test).codes),
            ("pixels (\(pixelsTrain.shape[1])-d)", pixelsTrain, pixelsTest),
            ("PCA (\(pca.components.shape[0])-d)", pca.transform(pixelsTrain), pca.transform(pixelsTest)),
        ]
        say("\(chosen.count) labelled training examples (\(chosen.count / classes) per class, seed \(seed)); test error on \(test.count) test examples")
        var results: [String: [String: Double]] = [:]
        var header = String(repeating: " ", count: 24)
        for m in methods { header += m.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) }
        if !json { say(header) }
        for (name, tr, te) in features {
            var line = name.padding(toLength: 24, withPad: " ", startingAt: 0)
            var row: [String: Double] = [:]
            for m in methods {
                let predicted = SemiSupervised.predict(m, train: tr, trainLabels: trainLabels, labelled: chosen, test: te,
                                                       classes: classes, seed: seed, threads: threads.count)
                let error = Double(zip(predicted, testLabels).filter { $0 != $1 }.count) / Double(test.count)
                row[m.rawValue] = error
                line += String(format: "%6.2f%%    ", 100 * error)
            }
            results[name] = row
            if !json { say(line) }
        }
        if json { try printJSON(["labels": chosen.count, "test_error": results]) }
    }
}
