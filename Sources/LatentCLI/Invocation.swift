import ArgumentParser
import Foundation
import Latent

/// The command line's conventions outside any one command: exit codes, and arguments as the parser should
/// see them.
enum Invocation {
    /// Exit codes: 0 success, 1 a failure while running, 64 a usage error (a bad flag or value, including a
    /// library error that names the property at fault).
    static func exitCode(for error: Error) -> Int32 {
        if error is TrainingInterrupted || error is StopRequest.Stopped { return 130 }
        if let e = error as? LatentError { return e.field == nil ? 1 : 64 }
        return LatentCommand.exitCode(for: error).rawValue
    }

    /// `--epochs -1` reads as the value -1, not as an unknown flag: a negative number after a flag that takes a
    /// value is joined to it (`--epochs=-1`), so the flag's own check answers ("must be positive").
    static func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count,
                arguments[i + 1].range(of: #"^-(\d|\.\d|inf|nan)"#, options: .regularExpression) != nil
            {
                out.append(a + "=" + arguments[i + 1])
                i += 2
            } else {
                out.append(a)
                i += 1
            }
        }
        return out
    }
}
