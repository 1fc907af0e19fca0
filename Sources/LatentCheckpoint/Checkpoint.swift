import Foundation
import LatentNN
import LatentTensor

/// A model on disk: its parameters as safetensors, and in the metadata a format tag, a format version and
/// the model's configuration as JSON, so a file can say what it holds before anything is built from it.
public struct Checkpoint {
    /// The `format` metadata value of a Latent checkpoint.
    public static let format = "latent"
    /// The checkpoint format version this build reads and writes.
    public static let version = 1
    /// The checkpoint's name in a run directory.
    public static let fileName = "model.safetensors"

    /// The model configuration's JSON.
    public let configJSON: String
    /// The model kind written in the metadata (`vae`, …).
    public let kind: String
    /// The tensors by name.
    public let tensors: [String: Tensor]
    /// All metadata strings, including any extras the writer added (seed, epochs…).
    public let metadata: [String: String]

    /// Writes named parameters and a configuration atomically to `url`.
    public static func save(
        _ named: [(name: String, parameter: Parameter)], kind: String, configJSON: String,
        extra: [String: String] = [:], to url: URL
    ) throws {
        try write(contents(named, kind: kind, configJSON: configJSON, extra: extra), to: url)
    }

    /// What a checkpoint file holds: the tensors (the parameters' own values, no copy: write them before the
    /// parameters change) and the metadata.
    public static func contents(
        _ named: [(name: String, parameter: Parameter)], kind: String, configJSON: String,
        extra: [String: String] = [:]
    ) -> Contents {
        var metadata = extra
        metadata["format"] = format
        metadata["format_version"] = String(version)
        metadata["kind"] = kind
        metadata["config"] = configJSON
        return Contents(tensors: named.map { ($0.name, $0.parameter.value) }, metadata: metadata)
    }

    /// Writes `contents` atomically to `url` as a checkpoint file.
    public static func write(_ contents: Contents, to url: URL) throws {
        try AtomicFile.write(SafeTensors.encode(contents.tensors, metadata: contents.metadata), to: url)
    }

    /// A checkpoint's tensors in order and its metadata, before they are written (the training state holds a
    /// copy, so that a save interrupted between the two files can be completed).
    public struct Contents {
        /// The tensors in the order they are written.
        public var tensors: [(name: String, tensor: Tensor)]
        /// The metadata strings (format, version, kind, configuration and extras).
        public var metadata: [String: String]

        /// Contents of these tensors and metadata.
        public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
            (self.tensors, self.metadata) = (tensors, metadata)
        }
    }

    /// Reads and checks a checkpoint file (a directory means its `model.safetensors`).
    public static func load(_ url: URL) throws -> Checkpoint {
        var file = url
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = url.appendingPathComponent(fileName)
        }
        return try checked(try SafeTensors.read(file), source: file.path)
    }

    /// A checkpoint from the bytes of a safetensors file (`source` names it in errors).
    public static func decode(_ data: Data, source: String) throws -> Checkpoint {
        try checked(try SafeTensors.decode(data, source: source), source: source)
    }

    /// The format, version, kind and configuration checked.
    private static func checked(
        _ file: (tensors: [String: Tensor], metadata: [String: String]), source: String
    ) throws -> Checkpoint {
        let (tensors, metadata) = file
        guard metadata["format"] == format else {
            throw LatentError(
                .checkpoint, "\(source): not a Latent checkpoint (no \"format\": \"latent\" in its metadata)")
        }
        guard let v = metadata["format_version"].flatMap(Int.init), v == version else {
            throw LatentError(
                .checkpoint,
                """
                \(source): checkpoint format version \(metadata["format_version"] ?? "?"); this Latent reads \
                version \(version)
                """
            )
        }
        guard let kind = metadata["kind"], let config = metadata["config"] else {
            throw LatentError(.checkpoint, "\(source): checkpoint metadata lacks the model kind or configuration")
        }
        return Checkpoint(configJSON: config, kind: kind, tensors: tensors, metadata: metadata)
    }

    /// Copies the stored tensors into the parameters, checking that names and shapes match exactly.
    public func assign(to named: [(name: String, parameter: Parameter)], source: String) throws {
        let expected = Set(named.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw LatentError(.checkpoint, "\(source): unexpected tensor \(extra) for this model")
        }
        for (name, p) in named {
            guard let t = tensors[name] else { throw LatentError(.checkpoint, "\(source): missing tensor \(name)") }
            guard t.shape == p.shape else {
                throw LatentError(
                    .checkpoint, "\(source): tensor \(name) has shape \(t.shape), the model expects \(p.shape)")
            }
            p.value.copy(from: t)
        }
    }
}
