import Foundation
import Hummingbird
import Latent

/// The model's API: each route reads its request (JSON, a picture or query parameters), calls one
/// `ModelService` function and writes JSON, or a PNG where a picture is asked for (`?format=png` or
/// `Accept: image/png`). Shapes, counts and values are checked by the service; this file only translates.
struct APIRoutes: Sendable {
    let service: ModelService
    let maxBodyBytes: Int

    /// Each route's method (another method on a known path is a 405).
    static let methods = [
        "/healthz": "GET", "/model": "GET", "/encode": "POST", "/decode": "POST", "/reconstruct": "POST",
        "/interpolate": "POST", "/sample": "GET", "/codes": "GET", "/traversal": "POST",
    ]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in json(#"{"status":"ok"}"#) }
        router.get("/model") { _, _ in json(modelDescription()) }
        router.post("/encode") { request, _ in try await encode(request) }
        router.post("/decode") { request, _ in try await decode(request) }
        router.post("/reconstruct") { request, _ in try await reconstruct(request) }
        router.post("/interpolate") { request, _ in try await interpolate(request) }
        router.post("/traversal") { request, _ in try await traversal(request) }
        router.get("/sample") { request, _ in try sample(request) }
        router.get("/codes") { request, _ in try codes(request) }
    }

    func encode(_ request: Request) async throws -> Response {
        let (x, rows, labels) = try await examples(request)
        let encoding = try service.encode(x, rows: rows, labels: labels)
        var fields = ["\"mean\":\(JSONText.matrix(encoding.mean))", "\"code\":\(JSONText.matrix(encoding.mean))"]
        if let logVariance = encoding.logVariance { fields.append("\"log_variance\":\(JSONText.matrix(logVariance))") }
        if let map = service.map { fields.append("\"points\":\(JSONText.matrix(map.points(of: encoding.mean)))") }
        return json("{" + fields.joined(separator: ",") + "}")
    }

    func decode(_ request: Request) async throws -> Response {
        let body = try await APIBody.json(DecodeRequest.self, request, limit: maxBodyBytes)
        let rows: [[Float]]
        switch (
            try body.codes.map { try floats($0, field: "codes") },
            try body.points.map { try floats($0, field: "points") }
        ) {
        case (let codes?, nil): rows = codes
        case (nil, let points?):
            guard let map = service.map else { throw APIError(.badRequest, field: "points", "this model has no map") }
            try APIBody.checkRows(points, width: 2, field: "points")
            rows = points.map { map.code(at: ($0[0], $0[1])) }
        default: throw APIError(.badRequest, field: "codes", "give either codes or points")
        }
        try APIBody.checkRows(rows, width: service.config.latent, field: "codes")
        let labels = try service.classNumbers(body.labels?.map(\.text))
        let images = try service.decode(rows.flatMap { $0 }, rows: rows.count, labels: labels)
        // Points: the answer also says which codes they stood for (the explorer's sliders show them).
        let codes = body.points == nil ? nil : Tensor(rows.flatMap { $0 }, shape: [rows.count, service.config.latent])
        return try pictures(images, request, codes: codes)
    }

    func reconstruct(_ request: Request) async throws -> Response {
        let (x, rows, labels) = try await examples(request)
        return try pictures(try service.reconstruct(x, rows: rows, labels: labels), request)
    }

    func interpolate(_ request: Request) async throws -> Response {
        let body = try await APIBody.json(InterpolateRequest.self, request, limit: maxBodyBytes)
        let from = try endpoint(body.from, body.fromPoint, "from"), to = try endpoint(body.to, body.toPoint, "to")
        let label = try service.classNumbers(body.label.map { [$0.text] })?.first
        let path = try service.interpolate(from: from, to: to, steps: body.steps ?? 10, label: label)
        return try pictures(path, request)
    }

    func traversal(_ request: Request) async throws -> Response {
        let body = try await APIBody.json(TraversalRequest.self, request, limit: maxBodyBytes)
        let code = try endpoint(body.code, body.codePoint, "code")
        let label = try service.classNumbers(body.label.map { [$0.text] })?.first
        let steps = body.steps ?? 10
        let images = try service.traversal(around: code, range: body.range ?? 3, steps: steps, label: label)
        return try pictures(images, request)
    }

    func sample(_ request: Request) throws -> Response {
        let query = Query(request)
        let images = try service.sample(
            count: try query.int("count") ?? 16,
            label: try service.classNumbers(query.text("label").map { [$0] })?.first,
            seed: UInt64(try query.int("seed", 0...Int(Int32.max)) ?? 1))
        return try pictures(images, request)
    }

    func codes(_ request: Request) throws -> Response {
        let query = Query(request)
        if let split = query.text("split"), split != "test" {
            throw APIError(.badRequest, field: "split", "only the test split is mapped, got '\(split)'")
        }
        let map = try service.codes(limit: try query.int("limit") ?? 2000)
        return json(
            """
            {"method":"\(map.method)","latent":\(service.config.latent),"count":\(map.count),\
            "points":\(JSONText.matrix(map.points)),"labels":[\(map.labels.map(String.init).joined(separator: ","))]}
            """)
    }

    /// The examples of an encode or reconstruct request: JSON rows of pixels, or one uploaded PNG/JPEG.
    func examples(_ request: Request) async throws -> (values: [Float], rows: Int, labels: [Int]?) {
        if APIBody.isPicture(request) {
            let bytes = try await APIBody.bytes(request, limit: maxBodyBytes)
            let label = try service.classNumbers(Query(request).text("label").map { [$0] })
            return (try service.features(picture: bytes), 1, label)
        }
        if Query(request).text("label") != nil {
            // The query's label goes with a picture upload; a JSON body carries its own `labels`.
            throw APIError(
                .badRequest, field: "label", "the label query parameter is for picture uploads; JSON gives `labels`")
        }
        let body = try await APIBody.json(ExamplesRequest.self, request, limit: maxBodyBytes)
        let pixels = try floats(body.pixels, field: "pixels")
        try APIBody.checkRows(pixels, width: service.inputSize, field: "pixels")
        return (pixels.flatMap { $0 }, pixels.count, try service.classNumbers(body.labels?.map(\.text)))
    }

    /// A path end: a code, or a point of the map.
    func endpoint(_ code: [Double]?, _ point: [Double]?, _ field: String) throws -> [Float] {
        if code != nil && point != nil {
            throw APIError(.badRequest, field: field, "give \(field) or \(field)_point, not both")
        }
        if let code { return try floats([code], field: field)[0] }
        guard let point else { throw APIError(.badRequest, field: field, "give \(field) (a code) or \(field)_point") }
        guard let map = service.map else { throw APIError(.badRequest, field: "\(field)_point", "no map") }
        try APIBody.checkRows(try floats([point], field: "\(field)_point"), width: 2, field: "\(field)_point")
        return map.code(at: (Float(point[0]), Float(point[1])))
    }

    /// Images as JSON rows in [0, 1], or as one PNG (a grid for several) when asked.
    func pictures(_ images: Tensor, _ request: Request, codes: Tensor? = nil) throws -> Response {
        let query = Query(request)
        let format = query.text("format") ?? (request.headers[.accept]?.contains("image/png") == true ? "png" : "json")
        let columns = try query.int("columns", 1...ModelService.maxRows), scale = try query.int("scale", 1...8)
        let c = service.config
        switch format {
        case "png":
            let columns = columns ?? Int(Double(images.shape[0]).squareRoot().rounded(.up))
            let png = try service.png(images, columns: columns, scale: scale ?? 1)
            return Response(
                status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        case "json":
            return json(
                """
                {"height":\(c.imageHeight),"width":\(c.imageWidth),"channels":\(c.channels),\
                "pixels":\(JSONText.matrix(images))\(codes.map { ",\"codes\":" + JSONText.matrix($0) } ?? "")}
                """)
        default: throw APIError(.badRequest, field: "format", "expected json or png, got '\(format)'")
        }
    }

    /// GET /model: configuration, data, epochs, metrics and what the map holds.
    func modelDescription() -> String {
        let c = service.config, loaded = service.loaded
        let data = loaded.data.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        let map =
            service.map.map { #"{"method":"\#($0.method)","count":\#($0.count)}"# }
            ?? #"{"problem":\#(JSONText.string(service.mapProblem ?? ""))}"#
        let scaling = service.scaling.flatMap { try? JSONEncoder().encode($0) }.map {
            ",\"scaling\":" + String(decoding: $0, as: UTF8.self)
        }
        let metrics = service.metricsLines().filter { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any]
        }
        return """
            {"kind":"\(c.kind.rawValue)","latent":\(c.latent),"classes":\(c.isConditional ? c.classes : 0),\
            "variational":\(c.isVariational),"samples":\(c.capabilities.contains(.sample)),\
            "traversal":\(service.traversalAxes != nil),\
            "input":{"height":\(c.imageHeight),"width":\(c.imageWidth),\
            "channels":\(c.channels),"size":\(c.inputSize)},"epochs":\(loaded.epochs),"seed":\(loaded.seed),\
            "config":\(c.json),"data":\(data ?? "null"),"map":\(map),\
            "metrics":[\(metrics.joined(separator: ","))]\(scaling ?? "")}
            """
    }
}

/// A 200 response with a JSON body.
func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}
