import Foundation
import Latent

/// The committed OpenAPI document (`openapi.json`, the API of every model) specialised for the model being
/// served: its row sizes, its classes (a conditional model's labels; none for others), whether it samples and has a
/// map. So a client, or schemathesis, learns exactly which requests this server accepts.
enum OpenAPIDocument {
    typealias Object = [String: Any]

    /// The document `data` (openapi.json) for `service`'s model, as JSON.
    static func specialised(_ data: Data, for service: ModelService) throws -> Data {
        guard var document = try JSONSerialization.jsonObject(with: data) as? Object else {
            throw APIError(.internalServerError, field: nil, "openapi.json is not a JSON object")
        }
        let c = service.config
        edit(&document, ["components", "schemas"]) { specialiseSchemas(&$0, c, hasMap: service.map != nil) }
        edit(&document, ["components", "schemas", "Model", "properties", "kind"]) { $0["enum"] = [c.kind.rawValue] }
        edit(&document, ["paths"]) { paths in
            if !c.capabilities.contains(.sample) { paths["/sample"] = nil }
            if service.traversalAxes == nil { paths["/traversal"] = nil }
            for (path, _) in paths {
                edit(&paths, [path]) { item in
                    for (method, _) in item {
                        edit(&item, [method]) { operation in labelParameter(&operation, c) }
                    }
                }
            }
        }
        edit(&document, ["info"]) { info in
            info["description"] =
                "\(info["description"] ?? "") This server: a \(c.kind.rawValue) with \(c.latent)-d codes reading "
                + "\(c.inputSize) values (\(c.imageWidth)x\(c.imageHeight)x\(c.channels))."
        }
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }

    /// Row sizes, the choice between codes and points, and the labels of the request schemas.
    static func specialiseSchemas(_ schemas: inout Object, _ c: ModelConfig, hasMap: Bool) {
        let rows = { (width: Int) -> Object in
            [
                "type": "array", "minItems": width, "maxItems": width,
                "items": ["type": "number", "minimum": -1e6, "maximum": 1e6],
            ]
        }
        edit(&schemas, ["Examples", "properties", "pixels"]) { $0["items"] = rows(c.inputSize) }
        edit(&schemas, ["Decode", "properties"]) { properties in
            edit(&properties, ["codes"]) { $0["items"] = rows(c.latent) }
            edit(&properties, ["points"]) { $0["items"] = rows(2) }
            if !hasMap { properties["points"] = nil }
        }
        edit(&schemas, ["Decode"]) {
            $0["oneOf"] =
                hasMap
                ? [
                    ["required": ["codes"], "not": ["required": ["points"]]],
                    ["required": ["points"], "not": ["required": ["codes"]]],
                ]
                : [["required": ["codes"]]]
        }
        edit(&schemas, ["Interpolate", "properties"]) { properties in
            for end in ["from", "to"] {
                properties[end] = rows(c.latent)
                properties["\(end)_point"] = hasMap ? rows(2) : nil
            }
        }
        edit(&schemas, ["Interpolate"]) {
            $0["allOf"] = ["from", "to"].map { end in
                let point = "\(end)_point"
                return hasMap
                    ? [
                        "oneOf": [
                            ["required": [end], "not": ["required": [point]]],
                            ["required": [point], "not": ["required": [end]]],
                        ]
                    ]
                    : ["required": [end]]
            }
        }
        edit(&schemas, ["Traversal", "properties"]) { properties in
            properties["code"] = rows(c.latent)
            properties["code_point"] = hasMap ? rows(2) : nil
        }
        edit(&schemas, ["Traversal"]) {
            $0["oneOf"] =
                hasMap
                ? [
                    ["required": ["code"], "not": ["required": ["code_point"]]],
                    ["required": ["code_point"], "not": ["required": ["code"]]],
                ]
                : [["required": ["code"]]]
        }
        specialiseLabels(&schemas, c)
    }

    /// A CVAE's labels are its classes and required; other models take none (and no other fields).
    static func specialiseLabels(_ schemas: inout Object, _ c: ModelConfig) {
        let label: Object = ["type": "integer", "minimum": 0, "maximum": max(0, c.classes - 1)]
        let fields = [("Examples", "labels"), ("Decode", "labels"), ("Interpolate", "label"), ("Traversal", "label")]
        for (name, key) in fields {
            edit(&schemas, [name]) { schema in
                edit(&schema, ["properties"]) { properties in
                    properties[key] =
                        c.isConditional ? (key == "label" ? label : ["type": "array", "items": label]) : nil
                }
                if c.isConditional { schema["required"] = ((schema["required"] as? [String]) ?? []) + [key] }
            }
        }
    }

    /// The `label` query parameter: a CVAE's class (required to sample), absent for other models.
    static func labelParameter(_ operation: inout Object, _ c: ModelConfig) {
        guard var parameters = operation["parameters"] as? [Object] else { return }
        parameters = parameters.compactMap { parameter in
            guard parameter["name"] as? String == "label" else { return parameter }
            guard c.isConditional else { return nil }
            var p = parameter
            p["schema"] = ["type": "integer", "minimum": 0, "maximum": max(0, c.classes - 1)]
            if operation["operationId"] as? String == "sample" { p["required"] = true }
            return p
        }
        operation["parameters"] = parameters
    }

    /// Applies `change` to the object at `path` inside `object` (nothing if it is not there).
    static func edit(_ object: inout Object, _ path: [String], _ change: (inout Object) -> Void) {
        guard let key = path.first, var child = object[key] as? Object else { return }
        if path.count == 1 { change(&child) } else { edit(&child, Array(path.dropFirst()), change) }
        object[key] = child
    }
}
