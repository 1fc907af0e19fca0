import Foundation
import LatentData
import LatentModels
import LatentNN
import LatentTensor

/// Saves and loads models to and from a run directory (`DIR/model.safetensors`), typed: a loader for each
/// family of models returns that type, or an error naming what the checkpoint holds.
public enum ModelStore {
    /// Writes the model's weights, configuration, seed, epoch count and feature scaling, atomically.
    public static func save(
        _ model: any TrainableModel, seed: UInt64, epochs: Int, scaling: FeatureScaling? = nil,
        data: DataProvenance? = nil, to directory: URL
    ) throws {
        let contents = try contents(model, seed: seed, epochs: epochs, scaling: scaling, data: data)
        try Checkpoint.write(contents, to: directory.appendingPathComponent(Checkpoint.fileName))
    }

    /// What `save` writes: the weights, configuration, seed, epoch count, scaling and data record.
    public static func contents(
        _ model: any TrainableModel, seed: UInt64, epochs: Int, scaling: FeatureScaling? = nil,
        data: DataProvenance? = nil
    ) throws -> Checkpoint.Contents {
        var extra = ["seed": String(seed), "epochs": String(epochs)]
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]  // the same bytes for the same model, run after run
        if let data { extra["data"] = String(decoding: try json.encode(data), as: UTF8.self) }
        if let scaling { extra["scaling"] = String(decoding: try json.encode(scaling), as: UTF8.self) }
        return Checkpoint.contents(
            model.namedParameters + model.namedBuffers, kind: model.config.kind.rawValue, configJSON: model.config.json,
            extra: extra)
    }

    /// A model and the metadata it was saved with.
    public struct Loaded<Model> {
        /// The model, weights loaded.
        public let model: Model
        /// Its configuration.
        public let config: ModelConfig
        /// The seed it was trained with (evaluation reuses it by default).
        public let seed: UInt64
        /// Epochs trained.
        public let epochs: Int
        /// The feature scaling fitted on the training table, applied to every table given to the model.
        public let scaling: FeatureScaling?
        /// The data it was trained on (nil in checkpoints of older versions).
        public let data: DataProvenance?

        /// The same run with its model seen through `view` (a wider type, such as `any ReconstructingModel`).
        public func map<Other>(_ view: (Model) -> Other) -> Loaded<Other> {
            Loaded<Other>(model: view(model), config: config, seed: seed, epochs: epochs, scaling: scaling, data: data)
        }
    }

    /// Any model: loads the checkpoint in a run directory (or a .safetensors file), checking format, version,
    /// kind and shapes; `kinds` names the kinds the caller can use.
    public static func load(_ url: URL, expecting kinds: Set<ModelKind>? = nil) throws -> Loaded<any TrainableModel> {
        try load(url, as: (any TrainableModel).self, kinds: kinds)
    }

    /// Any model with an encoder and decoder (`ModelCapabilities.reconstruct`).
    public static func loadReconstructing(_ url: URL) throws -> Loaded<any ReconstructingModel> {
        try load(url, as: (any ReconstructingModel).self, kinds: ModelKind.with(.reconstruct))
    }

    /// A model that samples from its prior (`ModelCapabilities.sample`).
    public static func loadGenerative(_ url: URL) throws -> Loaded<any GenerativeModel> {
        try load(url, as: (any GenerativeModel).self, kinds: ModelKind.with(.sample))
    }

    /// A variational model (or one of the subset `kinds`).
    public static func loadVAE(_ url: URL, kinds: Set<ModelKind>? = nil) throws -> Loaded<VariationalAutoencoder> {
        try load(url, as: VariationalAutoencoder.self, kinds: kinds ?? ModelKind.with(.variational))
    }

    /// A model that classifies.
    public static func loadClassifier(_ url: URL) throws -> Loaded<any ClassifyingModel> {
        try load(url, as: (any ClassifyingModel).self, kinds: ModelKind.with(.classify))
    }

    private static func load<Model>(_ url: URL, as type: Model.Type, kinds: Set<ModelKind>?) throws -> Loaded<Model> {
        let checkpoint = try Checkpoint.load(url)
        let config = try validate(checkpoint, kinds: kinds, source: url.path)
        var rng = RandomGenerator(seed: 0)
        let built = makeModel(config, rng: &rng)
        try checkpoint.assign(to: built.namedParameters + built.namedBuffers, source: url.path)
        built.setTraining(false)  // a loaded model evaluates (BatchNorm's running statistics)
        guard let model = built as? Model else {
            throw LatentError(.checkpoint, "\(url.path): a \(config.kind.rawValue) model is not a \(Model.self)")
        }
        return Loaded(
            model: model, config: config, seed: checkpoint.metadata["seed"].flatMap(UInt64.init) ?? 1,
            epochs: checkpoint.metadata["epochs"].flatMap(Int.init) ?? 0,
            scaling: try scaling(checkpoint.metadata["scaling"], config: config, source: url.path),
            data: checkpoint.metadata["data"].flatMap {
                try? JSONDecoder().decode(DataProvenance.self, from: Data($0.utf8))
            })
    }

    /// A checkpoint's configuration, checked against its kind, the kinds wanted and its tensors before any
    /// model is built: the part of loading a hostile file can reach (fuzzed by `Fuzz/`).
    public static func validate(
        _ checkpoint: Checkpoint, kinds: Set<ModelKind>? = nil, source: String
    ) throws
        -> ModelConfig
    {
        guard let kind = ModelKind(rawValue: checkpoint.kind) else {
            throw LatentError(.checkpoint, "\(source): unknown model kind '\(checkpoint.kind)'")
        }
        if let kinds, !kinds.contains(kind) {
            let wanted = kinds.map(\.rawValue).sorted().joined(separator: " or ")
            throw LatentError(.checkpoint, "\(source): holds a \(kind.rawValue) model; this needs \(wanted)")
        }
        let config: ModelConfig
        do {
            config = try ModelConfig.from(json: checkpoint.configJSON)
            try config.validate()
        } catch { throw LatentError(.checkpoint, "\(source): \(error)") }
        guard config.kind == kind else {
            throw LatentError(
                .checkpoint, "\(source): kind \(kind.rawValue) but configuration of \(config.kind.rawValue)")
        }
        // The configuration must describe the tensors before a model of it is built (and allocated).
        let stored = checkpoint.tensors.values.reduce(0) { $0 + $1.count }
        guard Double(stored) == config.parameterCount + config.bufferCount else {
            throw LatentError(
                .checkpoint,
                """
                \(source): its tensors hold \(stored) values but its configuration describes a model of \
                \(config.parameterCount + config.bufferCount) values (a damaged or hand-edited checkpoint)
                """)
        }
        return config
    }

    /// The saved feature scaling, checked against the model's input size.
    private static func scaling(_ text: String?, config: ModelConfig, source: String) throws -> FeatureScaling? {
        guard let text else { return nil }
        let scaling: FeatureScaling
        do { scaling = try JSONDecoder().decode(FeatureScaling.self, from: Data(text.utf8)) } catch {
            throw LatentError(.checkpoint, "\(source): the saved feature scaling is not valid (\(error))")
        }
        let n = config.inputSize
        guard scaling.kind == .none || (scaling.shift.count == n && scaling.scale.count == n) else {
            throw LatentError(
                .checkpoint, "\(source): the saved feature scaling has \(scaling.shift.count) features, the model \(n)")
        }
        return scaling
    }
}
