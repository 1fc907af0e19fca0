import Foundation
import Hummingbird
import HummingbirdTesting
import Latent
import LatentServer
import Logging
import Testing

/// A saved model (untrained weights are enough: the server must give the library's numbers, whatever they are).
private func savedModel(_ kind: ModelKind, latent: Int) throws -> URL {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("latent-server-tests-\(getpid())")
    let directory = scratch.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    atexit {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latent-server-tests-\(getpid())")
        try? FileManager.default.removeItem(at: url)
    }
    var config = ModelConfig(kind: kind)
    config.latent = latent
    config.hidden = [64]
    var rng = RandomGenerator(seed: 7)
    let model = makeModel(config, rng: &rng)
    try ModelStore.save(model, seed: 7, epochs: 0, to: directory)
    return directory
}

private let vaeService = Result { try ModelService(try savedModel(.vae, latent: 3), mapLimit: 300) }
private let cvaeService = Result { try ModelService(try savedModel(.cvae, latent: 2), mapLimit: 100) }

private func withServer(
    _ service: ModelService, maxBodyBytes: Int = 16 << 20,
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var options = ModelServer.Options()
    options.maxBodyBytes = maxBodyBytes
    let app = try ModelServer.application(
        service, options: options,
        logger: Logger(label: "test") { _ in
            SwiftLogNoOpLogHandler()
        })
    try await app.test(.router, body)
}

private func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
private let jsonHeaders: HTTPFields = [.contentType: "application/json"]

private func object(_ buffer: ByteBuffer) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
}

@Suite("latent serve: the HTTP API")
struct ServerTests {
    @Test func decodeAnswersTheLibrarysNumbersExactly() async throws {
        let service = try vaeService.get()
        let codes: [Float] = [0.25, -1.5, 0.75, -0.125, 2, 0.5]
        let expected = try service.decode(codes, rows: 2, labels: nil)
        let direct = service.loaded.model.decode(Tensor(codes, shape: [2, 3]))
        #expect(
            Array(UnsafeBufferPointer(start: expected.data, count: expected.count))
                == Array(UnsafeBufferPointer(start: direct.data, count: direct.count)))
        try await withServer(service) { client in
            try await client.execute(
                uri: "/decode", method: .post, headers: jsonHeaders,
                body: jsonBody(#"{"codes": [[0.25, -1.5, 0.75], [-0.125, 2, 0.5]]}"#)
            ) { response in
                #expect(response.status == .ok)
                let pixels = try #require(try object(response.body)["pixels"] as? [[Double]])
                #expect(pixels.count == 2 && pixels[0].count == 784)
                let served = pixels.flatMap { $0 }.map(Float.init)
                #expect(served == Array(UnsafeBufferPointer(start: expected.data, count: expected.count)))
            }
        }
    }

    @Test func badRequestsAreFourHundredsNamingTheField() async throws {
        let cases: [(String, HTTPRequest.Method, HTTPFields, String?, HTTPResponse.Status, String)] = [
            ("/decode", .post, jsonHeaders, #"{"codes": [[1, 2]]}"#, .badRequest, "codes"),
            ("/decode", .post, jsonHeaders, #"{"codes": [[1, 2, 1e30]]}"#, .badRequest, "codes"),
            // Just over the bound: rounding to Float would make it exactly 1e6.
            ("/decode", .post, jsonHeaders, #"{"codes": [[1, 2, 1000000.01]]}"#, .badRequest, "codes"),
            ("/decode", .post, jsonHeaders, #"{"codes": [[1, 2, "x"]]}"#, .badRequest, "codes.0.2"),
            ("/decode", .post, jsonHeaders, #"{"codes": [[1, 2, 3]], "labels": [1]}"#, .badRequest, "label"),
            ("/decode", .post, jsonHeaders, #"{"codez": [[1, 2, 3]]}"#, .badRequest, "codez"),
            ("/decode", .post, jsonHeaders, #"{"codes": null}"#, .badRequest, "codes"),
            ("/decode", .post, jsonHeaders, #"{"codes": [[1, 2, 3]"#, .badRequest, "body"),
            (
                "/decode", .post, [.contentType: "text/plain"], #"{"codes": [[1, 2, 3]]}"#, .unsupportedMediaType,
                "Content-Type"
            ),
            ("/encode", .post, jsonHeaders, #"{"pixels": [[0.5]]}"#, .badRequest, "pixels"),
            // The label query parameter goes with picture uploads (schemathesis found it ignored beside JSON).
            ("/encode?label=99", .post, jsonHeaders, #"{"pixels": [[0.5]]}"#, .badRequest, "label"),
            ("/encode", .post, [.contentType: "image/png"], "not a picture", .badRequest, "picture"),
            ("/sample?count=1000000000", .get, [:], nil, .badRequest, "count"),
            ("/sample?seed=-1", .get, [:], nil, .badRequest, "seed"),
            ("/sample?format=gif", .get, [:], nil, .badRequest, "format"),
            ("/codes?limit=0", .get, [:], nil, .badRequest, "limit"),
            ("/codes?split=train", .get, [:], nil, .badRequest, "split"),
            (
                "/interpolate", .post, jsonHeaders, #"{"from": [0, 0, 0], "to": [1, 1, 1], "steps": 1}"#, .badRequest,
                "steps"
            ),
            ("/model", .delete, [:], nil, .methodNotAllowed, "method"),
        ]
        try await withServer(try vaeService.get()) { client in
            for (uri, method, headers, body, status, field) in cases {
                try await client.execute(uri: uri, method: method, headers: headers, body: body.map(jsonBody)) {
                    response in
                    #expect(response.status == status, "\(method) \(uri) \(body ?? "")")
                    let answer = try object(response.body)
                    #expect(answer["field"] as? String == field, "\(uri): \(answer)")
                    #expect(!((answer["error"] as? String) ?? "").isEmpty)
                }
            }
        }
    }

    @Test func anOversizeBodyIsA413AndTheServerGoesOn() async throws {
        try await withServer(try vaeService.get(), maxBodyBytes: 1000) { client in
            let big = #"{"codes": [["# + String(repeating: "0,", count: 2000) + "0]]}"
            try await client.execute(uri: "/decode", method: .post, headers: jsonHeaders, body: jsonBody(big)) {
                let answer = try object($0.body)
                #expect($0.status == .contentTooLarge)
                #expect(answer["field"] as? String == "body")
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func concurrentRequestsGetTheirOwnAnswers() async throws {
        let service = try vaeService.get()
        try await withServer(service) { client in
            let answers = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
                for k in 0..<16 {
                    group.addTask {
                        try await client.execute(
                            uri: "/decode", method: .post, headers: jsonHeaders,
                            body: jsonBody(#"{"codes": [[\#(k % 4), 0.5, -1]]}"#)
                        ) { response in
                            (k, try #require(try object(response.body)["pixels"] as? [[Double]])[0])
                        }
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for k in 0..<16 {
                let expected = try service.decode([Float(k % 4), 0.5, -1], rows: 1, labels: nil)
                #expect(answers[k]?.map(Float.init) == Array(UnsafeBufferPointer(start: expected.data, count: 784)))
            }
        }
    }

    @Test func picturesMapAndSamples() async throws {
        try await withServer(try vaeService.get()) { client in
            try await client.execute(uri: "/sample?count=5&seed=3&format=png&scale=2", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "image/png")
                #expect(Array(response.body.readableBytesView.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
            }
            try await client.execute(uri: "/codes?limit=50", method: .get) { response in
                let map = try object(response.body)
                #expect(map["method"] as? String == "pca")
                #expect((map["points"] as? [[Double]])?.count == 50 && (map["labels"] as? [Int])?.count == 50)
            }
            // A picture upload is scaled to the model's size and encoded; the answer says where it lands.
            let png = try ImageGrid.png(
                Tensor(repeating: 0.5, shape: [1, 56 * 56]), height: 56, width: 56, columns: 1, scale: 1, gap: 0)
            try await client.execute(
                uri: "/encode", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
            ) { response in
                let answer = try object(response.body)
                #expect((answer["mean"] as? [[Double]])?.first?.count == 3)
                #expect((answer["log_variance"] as? [[Double]])?.first?.count == 3)
                #expect((answer["points"] as? [[Double]])?.first?.count == 2)
            }
            // A 12-megapixel photo (4000x3000) is taken; a header claiming 60000x60000 is refused by name.
            let pictures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("LatentTests/Fixtures/images")
            for (name, status) in [("big.png", HTTPResponse.Status.ok), ("huge.png", .badRequest)] {
                let bytes = try Data(contentsOf: pictures.appendingPathComponent(name))
                try await client.execute(
                    uri: "/encode", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: bytes)
                ) { response in
                    #expect(response.status == status, "\(name)")
                    let answer = try object(response.body)
                    if status != .ok { #expect(answer["field"] as? String == "picture") }
                }
            }
        }
    }

    @Test func aCVAEAsksForItsLabels() async throws {
        try await withServer(try cvaeService.get()) { client in
            try await client.execute(uri: "/sample?count=2", method: .get) { response in
                let answer = try object(response.body)
                #expect(response.status == .badRequest)
                #expect(answer["field"] as? String == "label")
            }
            try await client.execute(uri: "/sample?count=2&label=4", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/decode", method: .post, headers: jsonHeaders,
                body: jsonBody(#"{"codes": [[0, 0], [1, 1]], "labels": [3]}"#)
            ) { #expect($0.status == .badRequest) }
        }
        // Classes by name, as the CLI's --label takes them, where the training data named its classes.
        let named = FileManager.default.temporaryDirectory.appendingPathComponent("latent-named-\(UUID())")
        defer { try? FileManager.default.removeItem(at: named) }
        try FileManager.default.createDirectory(at: named, withIntermediateDirectories: true)
        var config = ModelConfig(kind: .cvae)
        (config.latent, config.hidden) = (2, [16])
        var rng = RandomGenerator(seed: 5)
        var data = DataProvenance(.named("mnist", directory: nil))
        data.classes = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        try ModelStore.save(makeModel(config, rng: &rng), seed: 5, epochs: 0, data: data, to: named)
        try await withServer(try ModelService(named, mapLimit: 50)) { client in
            try await client.execute(uri: "/sample?count=2&label=four", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/decode", method: .post, headers: jsonHeaders,
                body: jsonBody(#"{"codes": [[0, 0], [1, 1]], "labels": ["four", 3]}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/decode", method: .post, headers: jsonHeaders,
                body: jsonBody(#"{"codes": [[0, 0]], "labels": ["cat"]}"#)
            ) { response in
                #expect(response.status == .badRequest)
                let answer = try object(response.body)
                #expect(answer["field"] as? String == "label")
            }
        }
    }

    /// A table model speaks the table's own units: rows go in as in the file (the saved scaling applied by the
    /// service) and come back as in the file, as `latent reconstruct --out rows.csv` writes them.
    @Test func aTableModelAnswersInTheTablesUnits() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latent-table-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = ModelConfig(kind: .ae)
        (config.inputSize, config.imageHeight, config.imageWidth, config.hidden, config.latent) = (3, 1, 3, [8], 2)
        (config.likelihood, config.outputMean) = (.gaussian, .identity)
        var rng = RandomGenerator(seed: 3)
        let model = try #require(makeModel(config, rng: &rng) as? any ReconstructingModel)
        let scaling = FeatureScaling(kind: .standard, shift: [10, 20, 30], scale: [2, 4, 8])
        try ModelStore.save(model, seed: 3, epochs: 0, scaling: scaling, to: directory)
        let service = try ModelService(directory)
        let row: [Float] = [12, 16, 46]
        let x = Tensor([1, -1, 2], shape: [1, 3])  // the row as the model sees it
        let expected = model.reconstruct(x)
        scaling.restore(expected)
        let served = try service.reconstruct(row, rows: 1, labels: nil)
        #expect(Array(UnsafeBufferPointer(start: served.data, count: 3)) == expected.array)
        #expect(try service.encode(row, rows: 1, labels: nil).mean.array == model.encode(x).array)
        try await withServer(service) { client in
            try await client.execute(
                uri: "/reconstruct", method: .post, headers: jsonHeaders, body: jsonBody(#"{"pixels": [[12, 16, 46]]}"#)
            ) { response in
                let pixels = try #require(try object(response.body)["pixels"] as? [[Double]])
                #expect(pixels[0].map(Float.init) == expected.array)
            }
            try await client.execute(uri: "/model", method: .get) { response in
                let scaled = try #require(try object(response.body)["scaling"] as? [String: Any])
                #expect(scaled["shift"] as? [Double] == [10, 20, 30])
            }
        }
    }

    @Test func openAPIDescribesThisModelAndMetricsCountRequests() async throws {
        try await withServer(try vaeService.get()) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let document = try object(response.body)
                #expect(document["openapi"] as? String == "3.1.0")
                let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
                let examples = try #require(schemas["Examples"] as? [String: Any])
                let properties = try #require(examples["properties"] as? [String: Any])
                #expect(properties["labels"] == nil)  // a VAE takes no labels
                let rows = try #require((properties["pixels"] as? [String: Any])?["items"] as? [String: Any])
                #expect(rows["minItems"] as? Int == 784 && rows["maxItems"] as? Int == 784)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"latent_http_requests_total{route="/healthz",status="200"} 1"#))
                #expect(text.contains("latent_http_request_duration_seconds_bucket"))
            }
        }
    }

    @Test func theExplorerIsServedAndNothingElseOfTheDisk() async throws {
        try await withServer(try vaeService.get()) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Latent explorer"))
            }
            try await client.execute(uri: "/explorer.js", method: .get) { #expect($0.status == .ok) }
            for path in ["/../Package.swift", "/%2e%2e/%2e%2e/etc/passwd", "/Explorer/index.html", "/openapi.json/.."] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound, "\(path)") }
            }
        }
    }

    /// A port another program holds, or an address that is not this machine's, is one line naming the flag's
    /// property and the way out, not the socket call's errno.
    @Test func aTakenPortOrAForeignAddressIsNamed() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        var options = ModelServer.Options()
        options.port = Int(UInt16(bigEndian: address.sin_port))
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        await #expect {
            try await ModelServer.run(try vaeService.get(), options: options, logger: quiet)
        } throws: { ($0 as? LatentError)?.field == "port" && "\($0)".contains("is taken on 127.0.0.1") }
        (options.host, options.port) = ("192.0.2.1", 0)  // TEST-NET-1: documentation only, no machine's
        await #expect {
            try await ModelServer.run(try vaeService.get(), options: options, logger: quiet)
        } throws: { ($0 as? LatentError)?.field == "host" && "\($0)".contains("not an address of this machine") }
    }
}
