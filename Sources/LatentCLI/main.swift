import ArgumentParser
import Foundation

/// `latent`: train, evaluate and benchmark autoencoders from the command line.
struct LatentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latent",
        abstract: "The autoencoder toolkit for Swift: train, evaluate and benchmark autoencoders on the CPU.",
        discussion: """
            Exit codes: 0 success, 1 a failure while running (a file that cannot be read or written, a training \
            that diverged), 64 a usage error (a bad flag or value). Errors are one line on stderr: "latent: …". \
            Shell completion: latent --generate-completion-script bash|zsh|fish.
            """,
        version: LatentVersion.current,
        subcommands: [
            TrainCommand.self, EvalCommand.self, SampleCommand.self, ReconstructCommand.self, DenoiseCommand.self,
            EncodeCommand.self, DecodeCommand.self, InterpolateCommand.self, PlotCommand.self, PCACommand.self,
            TSNECommand.self,
            AnomalyCommand.self, SemisupCommand.self, ServeCommand.self, ExportCommand.self, BenchCommand.self,
            InfoCommand.self,
        ])
}

// A closed pipe (`latent train … | head -1`) must not kill a training before it saves: writes then fail quietly.
signal(SIGPIPE, SIG_IGN)

// Errors are one line on stderr ("latent: …") and a non-zero exit; --help prints the full help.
do {
    let arguments = Invocation.joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst()))
    var command = try LatentCommand.parseAsRoot(arguments)
    try command.run()
} catch {
    let code = Invocation.exitCode(for: error)
    if code == 0 {
        print(LatentCommand.fullMessage(for: error))
    } else {
        try? FileHandle.standardError.write(contentsOf: Data("latent: \(ErrorMessages.line(for: error))\n".utf8))
    }
    exit(code)
}
