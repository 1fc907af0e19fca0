import Foundation
import Hummingbird
import Latent
import Logging

/// An answer that is not a success: its status and the request field at fault.
struct APIError: Error {
    let status: HTTPResponse.Status
    let field: String?
    let message: String

    init(_ status: HTTPResponse.Status, field: String?, _ message: String) {
        (self.status, self.field, self.message) = (status, field, message)
    }
}

/// Every request passes through here: each failure becomes a JSON error ({"error": …, "field": …}) with a 4xx
/// status (a 500 only for a failure that is the server's own), another method on a known path a 405, and each
/// request is counted and timed for /metrics and logged in one line.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics
    /// The method of each known path, to answer another method with 405 instead of 404.
    let allowed: [String: String]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do { response = try await next(request, context) } catch let error as HTTPError
            where error.status == .notFound
        {
            if let method = allowed[request.uri.path] {
                var answer = Self.response(
                    for: APIError(.methodNotAllowed, field: "method", "\(request.uri.path) takes \(method)"))
                answer.headers[.allow] = method
                response = answer
            } else {
                response = Self.response(for: error)
            }
        } catch { response = Self.response(for: error) }
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.record(route: route, status: response.status.code, duration: elapsed)
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info(
            "\(request.method) \(request.uri.path.prefix(200)) \(response.status.code) \(String(format: "%.2f", ms)) ms"
        )
        return response
    }

    /// The JSON error answer for `error`.
    static func response(for error: any Error) -> Response {
        let (status, field, message): (HTTPResponse.Status, String?, String)
        switch error {
        case let e as APIError: (status, field, message) = (e.status, e.field, e.message)
        case let e as LatentError: (status, field, message) = (.badRequest, e.field, e.message)
        case let e as HTTPError: (status, field, message) = (e.status, nil, e.body ?? e.status.reasonPhrase)
        default: (status, field, message) = (.internalServerError, nil, "internal error: \(error)")
        }
        let fieldJSON = field.map { ",\"field\":\(JSONText.string($0))" } ?? ""
        return json("{\"error\":\(JSONText.string(message))\(fieldJSON)}", status: status)
    }
}
