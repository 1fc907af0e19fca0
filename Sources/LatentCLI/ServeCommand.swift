import ArgumentParser
import Foundation
import Latent
import LatentServer

/// `latent serve`: a trained model over HTTP, with the latent-space explorer page.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a trained model over HTTP: a JSON/PNG API (/openapi.json) and the explorer page at /.",
        discussion: """
            Loopback only unless --host names another address. SIGTERM or Ctrl-C stops after the requests in \
            flight. One log line per request on stderr.
            """)
    @Argument(help: "Run directory (or .safetensors file) written by `latent train`.") var directory: String
    @Option(help: "Address to listen on (0.0.0.0: every interface, reachable from other machines).")
    var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 8080
    @Option(help: "Test examples on the code map.") var mapLimit = 5000
    @Option(help: "Threads for each request's matrix products (requests run concurrently).") var threads = 1
    @Option(help: "Seconds a connection may wait between request parts before it is closed (slow clients).")
    var idleTimeout = 10

    func validate() throws {
        try bounded(port, "--port", 0...65535)
        try bounded(mapLimit, "--map-limit", 1...ModelService.maxMapPoints)
        try bounded(threads, "--threads", 1...1024)
        try bounded(idleTimeout, "--idle-timeout", 1...3600)
        guard !host.isEmpty else { throw ValidationError("--host: expected an address, e.g. 127.0.0.1") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let service = try ModelService(URL(fileURLWithPath: directory), mapLimit: mapLimit, notes: note)
        var options = ModelServer.Options()
        (options.host, options.port, options.idleTimeout) = (host, port, idleTimeout)
        if !["127.0.0.1", "localhost", "::1"].contains(host) {
            note("note: listening on \(host): reachable from other machines")
        }
        let c = service.config, host = host, directory = directory
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do {
                try await ModelServer.run(service, options: options) { port in
                    say("serving \(directory) (\(c.kind.rawValue), latent \(c.latent)) at http://\(host):\(port)/")
                }
            } catch { failure = error }
            finished.signal()
        }
        finished.wait()
        if let failure { throw failure }
    }
}
