import ArgumentParser
import Foundation

/// `latent`: train, evaluate and benchmark autoencoders from the command line.
struct LatentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latent",
        abstract: "The autoencoder toolkit for Swift: train, evaluate and benchmark autoencoders on the CPU.",
        subcommands: [
            TrainCommand.self, EvalCommand.self, SampleCommand.self, ReconstructCommand.self, DenoiseCommand.self,
            EncodeCommand.self, InterpolateCommand.self, PlotCommand.self, PCACommand.self, TSNECommand.self,
            AnomalyCommand.self, SemisupCommand.self, BenchCommand.self,
        ])
}

// Errors are one line on stderr ("latent: …") and a non-zero exit; --help prints the full help.
do {
    var command = try LatentCommand.parseAsRoot()
    try command.run()
} catch {
    let code = LatentCommand.exitCode(for: error)
    if code == .success {
        print(LatentCommand.fullMessage(for: error))
    } else {
        FileHandle.standardError.write(Data("latent: \(ErrorMessages.line(for: error))\n".utf8))
    }
    exit(code.rawValue)
}
