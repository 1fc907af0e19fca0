import Foundation
import Hummingbird
import Latent
import Logging
import NIOCore

/// `latent serve`: one trained model over HTTP on Hummingbird 2 — a JSON/PNG API (described by
/// `/openapi.json`), Prometheus metrics and the latent-space explorer page. Its own module, so the library and
/// the programs that use it do not depend on SwiftNIO.
public enum ModelServer {
    /// Where and how to listen.
    public struct Options: Sendable {
        /// Address to bind: loopback unless the user names another.
        public var host = "127.0.0.1"
        /// Port (0: any free port, reported through `onRunning`).
        public var port = 8080
        /// Seconds a connection may sit without a complete request part before it is closed (slow clients).
        public var idleTimeout = 10
        /// Largest request body accepted (larger: 413).
        public var maxBodyBytes = 16 << 20

        /// Defaults: 127.0.0.1:8080.
        public init() {}
    }

    /// The application serving `service`; `onRunning` hears the bound port once it listens.
    public static func application(
        _ service: ModelService, options: Options, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = try makeRouter(service, options: options)
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.idleTimeout)))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "latent"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }

    /// The routes: the API, the metrics, the OpenAPI document and the explorer page.
    public static func makeRouter(_ service: ModelService, options: Options) throws -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let metrics = RequestMetrics(), files = try StaticFiles.load(for: service)
        var allowed = APIRoutes.methods
        for file in files.files { allowed[file.route] = "GET" }
        router.add(
            middleware: APIMiddleware(
                metrics: metrics, allowed: allowed.merging(["/metrics": "GET"]) { a, _ in a }))
        APIRoutes(service: service, maxBodyBytes: options.maxBodyBytes).register(on: router)
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.text())))
        }
        files.register(on: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight and returns.
    public static func run(
        _ service: ModelService, options: Options,
        logger: Logger = Logger(label: "latent.serve", factory: { StreamLogHandler.standardError(label: $0) }),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        do {
            try await application(service, options: options, logger: logger, onRunning: onRunning).runService()
        } catch let error as IOError {
            throw bindFailure(error, options: options) ?? error
        }
    }

    /// What a failure to listen means for the user: the port taken, the address not this machine's, or a port
    /// below 1024 without the right to it (nil for other errors).
    static func bindFailure(_ error: IOError, options: Options) -> LatentError? {
        let address = "\(options.host):\(options.port)"
        switch error.errnoCode {
        case EADDRINUSE:
            return LatentError(
                .server, field: "port",
                "\(options.port) is taken on \(options.host) (another server listens there); choose another, or 0 for "
                    + "any free port")
        case EADDRNOTAVAIL:
            return LatentError(
                .server, field: "host",
                "\(options.host) is not an address of this machine; use 127.0.0.1, or 0.0.0.0 for every interface")
        case EACCES:
            return LatentError(
                .server, field: "port", "listening on \(address) is not permitted (ports below 1024 need privileges)")
        default:
            return nil
        }
    }
}
