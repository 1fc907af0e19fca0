import Foundation
import Hummingbird
import Latent
import NIOCore

/// Reading a request: its body within a size bound, JSON into the request types, query parameters as numbers;
/// every failure an `APIError` naming the field.
enum APIBody {
    /// The body's bytes; more than `limit` is a 413.
    static func bytes(_ request: Request, limit: Int) async throws -> Data {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, field: "body", "larger than \(limit) bytes")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, field: "body", "larger than \(limit) bytes")
        }
        return Data(buffer.readableBytesView)
    }

    /// Whether the body is a picture (Content-Type image/png or image/jpeg).
    static func isPicture(_ request: Request) -> Bool {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        return type.hasPrefix("image/png") || type.hasPrefix("image/jpeg")
    }

    /// The body as JSON of type `T` (Content-Type application/json; snake_case keys).
    static func json<T: APIRequest>(_ type: T.Type, _ request: Request, limit: Int) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw APIError(
                .unsupportedMediaType, field: "Content-Type",
                "expected application/json, got '\(contentType.isEmpty ? "none" : contentType)'")
        }
        let data = try await bytes(request, limit: limit)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let value: T
        do { value = try decoder.decode(T.self, from: data) } catch let error as DecodingError {
            throw APIError(.badRequest, field: error.field, error.reason)
        }
        // An optional field is given or left out; null is neither (Decodable would read it as left out). A field
        // of another name is a mistake (a typo would otherwise be ignored).
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let key = object.keys.sorted().first(where: { !T.fields.contains($0) }) {
                let known = T.fields.sorted().joined(separator: ", ")
                throw APIError(.badRequest, field: String(key.prefix(100)), "unknown field; expected \(known)")
            }
            if let key = object.first(where: { $0.value is NSNull })?.key {
                throw APIError(.badRequest, field: key, "expected a value, got null (leave the field out instead)")
            }
        }
        return value
    }

    /// Rows that must each hold `width` values.
    static func checkRows(_ rows: [[Float]], width: Int, field: String) throws {
        guard !rows.isEmpty else { throw APIError(.badRequest, field: field, "expected at least one row") }
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw APIError(.badRequest, field: field, "row \(bad) has \(rows[bad].count) values; expected \(width)")
        }
    }
}

/// Query parameters, parsed strictly: a parameter that is present must parse.
struct Query {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    /// The parameter's text, if given.
    func text(_ name: String) -> String? { parameters[name[...]].map(String.init) }

    /// The parameter as an integer within `range`, if given.
    func int(_ name: String, _ range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let bounds = range == Int.min...Int.max ? "" : " \(range.lowerBound)…\(range.upperBound)"
            throw APIError(.badRequest, field: name, "expected an integer\(bounds), got '\(text.prefix(40))'")
        }
        return value
    }
}

extension DecodingError {
    /// The JSON key at fault, dotted ("codes.0"), or "body" for JSON that does not parse.
    var field: String {
        let context: Context
        switch self {
        case .keyNotFound(let key, let c): return (c.codingPath + [key]).map(\.jsonName).joined(separator: ".")
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        @unknown default: return "body"
        }
        return context.codingPath.isEmpty ? "body" : context.codingPath.map(\.jsonName).joined(separator: ".")
    }

    /// What was wrong, in a few words.
    var reason: String {
        switch self {
        case .keyNotFound: return "missing"
        case .typeMismatch(let type, _): return "expected \(type == Double.self ? "a number" : "\(type)")"
        case .valueNotFound(let type, _): return "expected \(type), got null"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not valid JSON" : "not a valid value (\(c.debugDescription.prefix(80)))"
        @unknown default: return "not valid"
        }
    }
}

extension CodingKey {
    /// The key as it appears in JSON (snake_case), or the array index.
    var jsonName: String {
        if let index = intValue { return String(index) }
        return stringValue.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }
}

// Numbers are read as Double and rounded to Float by the routes: JSON's 1e-50 is a valid number that Float
// parsing would refuse (it underflows), and the service bounds every value anyway.

/// A JSON request body: its type and the names of its fields as they appear in JSON.
protocol APIRequest: Decodable {
    static var fields: Set<String> { get }
}

/// POST /encode and /reconstruct: rows of features.
struct ExamplesRequest: APIRequest {
    static let fields: Set<String> = ["pixels", "labels"]
    let pixels: [[Double]]
    let labels: [ClassValue]?
}

/// A CVAE's class as JSON gives it: its number, or its name where the training data named its classes (as the
/// CLI's `--label` takes either).
struct ClassValue: Decodable {
    /// The number or the name, as text.
    let text: String

    init(from decoder: any Swift.Decoder) throws {
        let value = try decoder.singleValueContainer()
        if let number = try? value.decode(Int.self) {
            text = String(number)
        } else {
            text = try value.decode(String.self)
        }
    }
}

/// POST /decode: codes, or points of the map.
struct DecodeRequest: APIRequest {
    static let fields: Set<String> = ["codes", "points", "labels"]
    let codes: [[Double]]?
    let points: [[Double]]?
    let labels: [ClassValue]?
}

/// POST /interpolate: two codes (or points of the map), the number of steps, a CVAE's label.
struct InterpolateRequest: APIRequest {
    static let fields: Set<String> = ["from", "to", "from_point", "to_point", "steps", "label"]
    let from: [Double]?
    let to: [Double]?
    let fromPoint: [Double]?
    let toPoint: [Double]?
    let steps: Int?
    let label: ClassValue?
}

/// POST /traversal: a code (or a point of the map), the range and steps of each row, a CVAE's label.
struct TraversalRequest: APIRequest {
    static let fields: Set<String> = ["code", "code_point", "range", "steps", "label"]
    let code: [Double]?
    let codePoint: [Double]?
    let range: Double?
    let steps: Int?
    let label: ClassValue?
}

/// Rows of JSON numbers as Float rows, each number within ±1e6 as the OpenAPI document says — checked before
/// rounding, which would turn 1000000.01 into an acceptable 1e6.
func floats(_ rows: [[Double]], field: String) throws -> [[Float]] {
    for (r, row) in rows.enumerated() {
        if let j = row.firstIndex(where: { !(abs($0) <= Double(ModelService.maxMagnitude)) }) {
            throw APIError(.badRequest, field: field, "row \(r) value \(j) is \(row[j]); expected at most 1e6 in size")
        }
    }
    return rows.map { $0.map(Float.init) }
}
