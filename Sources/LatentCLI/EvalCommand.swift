import ArgumentParser
import Foundation
import Latent

/// `latent eval`: the test-set loss of a saved model.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a saved model on the test set.")

    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @OptionGroup var data: DataOptions
    @Option(help: "Seed for the evaluation's sampling noise (default: the training seed).") var seed: UInt64?
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        threads.apply()
        let loaded = try ModelStore.load(URL(fileURLWithPath: directory))
        let test = try data.load(.test)
        guard test.featureCount == loaded.model.inputSize else {
            throw ValidationError("\(test.name) has \(test.featureCount) features per image; the model in \(directory) expects \(loaded.model.inputSize)")
        }
        let result = Evaluation.evaluate(loaded.model, on: test, seed: seed ?? loaded.seed)
        if json {
            var object: [String: Any] = ["test_loss": result.loss, "images": result.examples]
            for (k, v) in result.terms { object["test_\(k)"] = v }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "test loss %.4f nats/image over %d images", result.loss, result.examples))
            for (k, v) in result.terms.sorted(by: { $0.key > $1.key }) { print(String(format: "  %@ %.4f", k, v)) }
        }
    }
}
