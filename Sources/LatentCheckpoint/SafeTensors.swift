import Foundation
import LatentTensor

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
/// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the
/// raw little-endian tensor bytes. Loadable by Python's `safetensors` and by PyTorch, JAX, MLX…
public enum SafeTensors {
    /// Largest header accepted (the reference implementation's limit), so a hostile length is refused
    /// before anything is allocated.
    static let maxHeaderBytes = 100_000_000

    /// Serialises float32 tensors (written in the given order) and string metadata.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            guard header[name] == nil, name != "__metadata__" else {
                throw LatentError(.checkpoint, "duplicate tensor name \(name)")
            }
            header[name] =
                ["dtype": "F32", "shape": t.shape.dimensions, "data_offsets": [offset, offset + t.count * 4]]
                as [String: Any]
            offset += t.count * 4
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            out.append(UnsafeBufferPointer(start: t.data, count: t.count))  // x86-64 and arm64 are little-endian
        }
        return out
    }

    /// Reads a safetensors file: its float32 tensors by name and its metadata. Every offset and shape is
    /// checked against the file before use.
    public static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LatentError(.checkpoint, "\(path): no such file")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LatentError(.checkpoint, "\(path): cannot read (\(error.localizedDescription))")
        }
        return try decode(data, source: path)
    }

    /// Tensors and metadata from the bytes of a safetensors file, every header field checked.
    public static func decode(
        _ data: Data, source: String
    ) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ why: String) -> LatentError {
            LatentError(.checkpoint, "\(source): not a valid safetensors file (\(why))")
        }
        guard data.count >= 8 else { throw fail("only \(data.count) bytes") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(maxHeaderBytes), Int(n) <= data.count - 8 else {
            throw fail("header length \(n) exceeds the file")
        }
        let headerEnd = 8 + Int(n)
        guard let object = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)),
            let header = object as? [String: Any]
        else { throw fail("header is not a JSON object") }
        let body = data.count - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        var ranges: [(begin: Int, end: Int, name: String)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let m = entry as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("entry \(name) lacks dtype, shape or data_offsets") }
            guard dtype == "F32" else {
                throw LatentError(.checkpoint, "\(source): tensor \(name) has dtype \(dtype); Latent reads F32 tensors")
            }
            guard shape.count <= Shape.maxRank, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
                throw fail("tensor \(name) has unsupported shape \(shape)")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d)
                return (r.partialValue, acc.1 || r.overflow)
            }
            guard !overflow, offsets[0] >= 0, offsets[1] == offsets[0] + count * 4, offsets[1] <= body else {
                throw fail("tensor \(name): offsets \(offsets) do not match shape \(shape) within \(body) data bytes")
            }
            ranges.append((offsets[0], offsets[1], name))
            let t = Tensor(uninitialized: Shape(shape))
            data.withUnsafeBytes { raw in
                let src = raw.baseAddress! + headerEnd + offsets[0]
                UnsafeMutableRawPointer(t.data).copyMemory(from: src, byteCount: count * 4)
            }
            tensors[name] = t
        }
        try checkTiling(ranges, body: body, fail: fail)
        return (tensors, metadata)
    }

    /// As the format requires: the tensors tile the data bytes without overlaps or holes.
    private static func checkTiling(
        _ ranges: [(begin: Int, end: Int, name: String)], body: Int, fail: (String) -> LatentError
    ) throws {
        var end = 0
        for r in ranges.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard r.begin == end else {
                throw fail(
                    "tensor \(r.name) starts at byte \(r.begin), expected \(end) (overlapping or gapped offsets)")
            }
            end = r.end
        }
        guard end == body else { throw fail("the tensors cover \(end) of \(body) data bytes") }
    }
}
