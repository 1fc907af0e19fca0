import Foundation
import Hummingbird
import Latent

/// The explorer page and the OpenAPI document: package resources read once at start and served from memory
/// under fixed names, so no request path ever reaches the file system.
struct StaticFiles: Sendable {
    let files: [(route: String, type: String, bytes: Data)]

    /// Reads the resources (index.html, explorer.js, explorer.css, and openapi.json specialised for `service`).
    static func load(for service: ModelService) throws -> StaticFiles {
        guard let root = Bundle.module.resourceURL else {
            throw APIError(.internalServerError, field: nil, "the explorer's resources are missing")
        }
        let explorer = root.appendingPathComponent("Explorer")
        let names: [(String, URL, String)] = [
            ("/", explorer.appendingPathComponent("index.html"), "text/html; charset=utf-8"),
            ("/explorer.js", explorer.appendingPathComponent("explorer.js"), "text/javascript; charset=utf-8"),
            ("/explorer.css", explorer.appendingPathComponent("explorer.css"), "text/css; charset=utf-8"),
            ("/openapi.json", root.appendingPathComponent("openapi.json"), "application/json"),
        ]
        return StaticFiles(
            files: try names.map { name, url, type in
                let bytes = try Data(contentsOf: url)
                return (
                    name, type, name == "/openapi.json" ? try OpenAPIDocument.specialised(bytes, for: service) : bytes
                )
            })
    }

    func register(on router: Router<BasicRequestContext>) {
        for file in files {
            router.get(RouterPath(stringLiteral: file.route)) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache"],
                    body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
            }
        }
    }
}
