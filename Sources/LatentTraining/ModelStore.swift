import Foundation
import LatentCheckpoint
import LatentData
import LatentModels
import LatentNN
import LatentTensor

/// Saves and loads models to and from a run directory (`DIR/model.safetensors`).
public enum ModelStore {
    public static func save(_ model: any TrainableModel, seed: UInt64, epochs: Int, scaling: FeatureScaling? = nil, to directory: URL) throws {
        var extra = ["seed": String(seed), "epochs": String(epochs)]
        if let scaling { extra["scaling"] = String(decoding: try JSONEncoder().encode(scaling), as: UTF8.self) }
        try Checkpoint.save(model.namedParameters, kind: model.config.kind.rawValue, configJSON: model.config.json,
                            extra: extra,
                            to: directory.appendingPathComponent(Checkpoint.fileName))
    }

    /// A model and the metadata it was saved with.
    public struct Loaded {
        public let model: any TrainableModel
        /// The seed it was trained with (evaluation reuses it by default).
        public let seed: UInt64
        public let epochs: Int
        /// The feature scaling fitted on the training table, applied to every table given to the model.
        public let scaling: FeatureScaling?
    }

    /// Loads the model in a run directory (or a .safetensors file), checking format, version, kind and
    /// shapes; `expecting` names the kinds the caller can use.
    public static func load(_ url: URL, expecting kinds: Set<ModelKind>? = nil) throws -> Loaded {
        let checkpoint = try Checkpoint.load(url)
        guard let kind = ModelKind(rawValue: checkpoint.kind) else {
            throw CheckpointError("\(url.path): unknown model kind '\(checkpoint.kind)'")
        }
        if let kinds, !kinds.contains(kind) {
            throw CheckpointError("\(url.path): holds a \(kind.rawValue) model; this command needs \(kinds.map(\.rawValue).sorted().joined(separator: " or "))")
        }
        let config: ModelConfig
        do {
            config = try ModelConfig.from(json: checkpoint.configJSON)
            try config.validate()
        } catch { throw CheckpointError("\(url.path): \(error)") }
        guard config.kind == kind else { throw CheckpointError("\(url.path): kind \(kind.rawValue) but configuration of \(config.kind.rawValue)") }
        var rng = RandomGenerator(seed: 0)
        let model = makeModel(config, rng: &rng)
        try checkpoint.assign(to: model.namedParameters, source: url.path)
        var scaling: FeatureScaling? = nil
        if let text = checkpoint.metadata["scaling"] {
            do { scaling = try JSONDecoder().decode(FeatureScaling.self, from: Data(text.utf8)) } catch {
                throw CheckpointError("\(url.path): the saved feature scaling is not valid (\(error))")
            }
            guard scaling!.kind == .none || (scaling!.shift.count == config.inputSize && scaling!.scale.count == config.inputSize) else {
                throw CheckpointError("\(url.path): the saved feature scaling has \(scaling!.shift.count) features, the model \(config.inputSize)")
            }
        }
        return Loaded(model: model, seed: checkpoint.metadata["seed"].flatMap(UInt64.init) ?? 1,
                      epochs: checkpoint.metadata["epochs"].flatMap(Int.init) ?? 0, scaling: scaling)
    }
}
