import ArgumentParser
import Foundation
import Latent

/// `latent info`: what a run directory holds — Keras' `model.summary()` with the data and training beside it.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Summarise a run: the model and its parameter tensors, the data, the training and its last epoch.")
    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @Flag(help: "Print one JSON object instead.") var json = false

    func run() throws {
        let s = try RunSummary(URL(fileURLWithPath: directory))
        if json { return try printJSON(try object(s)) }
        let c = s.config
        say(
            "\(directory): \(c.kind.rawValue) (\(c.arch.rawValue)), \(s.parameterCount.formatted()) parameters, "
                + "\(s.epochs) epoch\(s.epochs == 1 ? "" : "s") (seed \(s.seed))")
        let variational = c.isVariational
        var model = "\(s.shape), \(c.activation.rawValue), likelihood \(c.likelihood.rawValue)"
        if variational && c.beta != 1 { model += ", β \(c.beta)" }
        if c.isConditional { model += ", \(c.classes) classes" }
        say("  model     \(model)")
        if let data = s.data {
            var line = data.summary
            if let classes = data.classes { line += "; classes \(classes.prefix(10).joined(separator: ", "))" }
            if let limit = data.limit { line += "; first \(limit) training examples" }
            if let label = data.excludeLabel {
                line += "; label \(Dataset.className(label, in: data.classes)) left out"
            }
            if let kind = s.scaling?.kind, kind != .none { line += "; scaled \(kind.rawValue)" }
            say("  data      \(line)")
        }
        if let t = s.training {
            var line = "batch \(t.batchSize), lr \(t.learningRate), Adam, \(t.threads) threads, engine \(t.engine)"
            if let clip = t.clipGradientNorm { line += ", gradient norm clipped at \(clip)" }
            if t.klWarmupEpochs > 0 { line += ", KL warm-up \(t.klWarmupEpochs) epochs" }
            say("  training  \(line)")
        }
        if let last = s.last {
            let terms = last.testTerms.sorted { $0.key > $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }
            say(
                String(
                    format: "  epoch %d   train %.4f  test %.4f (%@)", last.epoch, last.trainLoss, last.testLoss,
                    terms.joined(separator: ", ")))
        }
        say("  tensors")
        let width = min(48, s.tensors.map(\.name.count).max() ?? 0)
        for t in s.tensors {
            let name = t.name.padding(toLength: max(width, t.name.count), withPad: " ", startingAt: 0)
            let shape = ("[" + t.shape.map(String.init).joined(separator: ", ") + "]")
                .padding(toLength: 16, withPad: " ", startingAt: 0)
            say("    \(name)  \(shape) \(t.count)\(t.trained ? "" : " (buffer)")")
        }
        say("  files     \(s.files.joined(separator: ", "))")
    }

    /// The summary as JSON: the configuration and data record as the checkpoint holds them.
    func object(_ s: RunSummary) throws -> [String: Any] {
        func json<T: Encodable>(_ value: T) throws -> Any {
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: [.fragmentsAllowed])
        }
        var object: [String: Any] = [
            "directory": directory, "kind": s.config.kind.rawValue, "shape": s.shape, "parameters": s.parameterCount,
            "epochs": s.epochs, "seed": s.seed, "config": try json(s.config), "files": s.files,
            "tensors": s.tensors.map { ["name": $0.name, "shape": $0.shape, "trained": $0.trained] },
        ]
        if let data = s.data { object["data"] = try json(data) }
        if let kind = s.scaling?.kind { object["scaling"] = kind.rawValue }
        if let t = s.training {
            var training: [String: Any] = [
                "batch_size": t.batchSize, "learning_rate": t.learningRate, "threads": t.threads,
                "engine": t.engine.rawValue, "kl_warmup": t.klWarmupEpochs,
            ]
            if let clip = t.clipGradientNorm { training["clip_grad_norm"] = clip }
            object["training"] = training
        }
        if let last = s.last { object["last_epoch"] = try json(last) }
        return object
    }
}
