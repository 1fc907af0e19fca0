import ArgumentParser
import Foundation
import Latent

/// The library's errors in the CLI's words: the library names Swift properties (`learningRate`), the user
/// typed flags (`--lr`), so the field and every `name` quoted in the message become the flag.
enum ErrorMessages {
    /// Swift property → flag, for the properties whose flag is spelled differently or exists at all.
    static let flags: [String: String] = sharedFlags.merging(KindOptions.flags) { shared, _ in shared }

    /// The flags of settings every kind shares.
    static let sharedFlags: [String: String] = [
        "anomalyLabel": "--anomaly-label", "arch": "--arch", "data": "--data", "batchSize": "--batch-size",
        "delimiter": "--delimiter", "beta": "--beta", "clipGradientNorm": "--clip-grad-norm",
        "convChannels": "--conv-channels",
        "imageSize": "--image-size", "channels": "--channels", "strict": "--strict", "imageChannels": "--channels",
        "components": "--components", "dataDirectory": "--data-dir", "dataset": "--dataset", "dims": "--dims",
        "engine": "--engine", "epochs": "--epochs", "excludeLabel": "--exclude-label", "freeBits": "--free-bits",
        "from": "--from", "hidden": "--hidden", "host": "--host", "port": "--port",
        "iterations": "--iterations",
        "judge": "--judge", "kind": "--model", "klWarmupEpochs": "--kl-warmup", "label": "--label",
        "labelColumn": "--label-column",
        "labels": "--labels", "latent": "--latent", "learningRate": "--lr", "likelihood": "--likelihood",
        "limit": "--limit", "outputDirectory": "--out", "overwrite": "--force",
        "outputVariance": "--output-variance", "outputMean": "--output-mean", "perplexity": "--perplexity",
        "projection": "--method", "resume": "--resume", "samplesPerLabel": "--samples-per-label",
        "scaling": "--scale", "score": "--score",
        "seed": "--seed", "steps": "--steps", "testData": "--test-data", "threads": "--threads",
        "to": "--to",
    ]

    /// The one line to print for `error`.
    static func line(for error: Error) -> String {
        if let stop = error as? TrainingInterrupted {
            let resume =
                stop.lastCompleteEpoch > 0
                ? "; continue with: latent train --resume \(stop.directory) --epochs \(stop.epochs)" : ""
            return stop.description + resume
        }
        if let stop = error as? StopRequest.Stopped { return stop.description }
        guard let e = error as? LatentError else {
            // The parser's messages may span lines ("Please provide one of the following: …"): all of it, on one.
            let lines = LatentCommand.message(for: error).split(separator: "\n")
            let message = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return message.isEmpty ? "\(error)" : message.joined(separator: " ")
        }
        let field = e.field.map { (flags[$0] ?? $0) + ": " } ?? ""
        return field + replacingNames(e.message)
    }

    /// Runs `body` in a command's `validate()`, where a library error must become a `ValidationError` (the
    /// parser reports those as they are) in the CLI's words.
    static func asValidation(_ body: () throws -> Void) throws {
        do { try body() } catch let e as LatentError { throw ValidationError(line(for: e)) }
    }

    /// `name` → its flag (or the bare name where there is none).
    static func replacingNames(_ message: String) -> String {
        let parts = message.split(separator: "`", omittingEmptySubsequences: false)
        guard parts.count > 2 else { return message }
        return parts.enumerated().map { i, part in i % 2 == 1 ? flags[String(part)] ?? String(part) : String(part) }
            .joined()
    }
}
