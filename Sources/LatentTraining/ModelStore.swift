import Foundation
import LatentCheckpoint
import LatentModels
import LatentNN
import LatentTensor

/// Saves and loads models to and from a run directory (`DIR/model.safetensors`).
public enum ModelStore {
    public static func save(_ model: VAE, seed: UInt64, epochs: Int, to directory: URL) throws {
        try Checkpoint.save(model.namedParameters, kind: VAE.kind, configJSON: model.configJSON,
                            extra: ["seed": String(seed), "epochs": String(epochs)],
                            to: directory.appendingPathComponent(Checkpoint.fileName))
    }

    /// A model and the metadata it was saved with.
    public struct Loaded {
        public let model: VAE
        /// The seed it was trained with (evaluation reuses it by default).
        public let seed: UInt64
    }

    /// Loads the model in a run directory (or a .safetensors file), checking kind, version and shapes.
    public static func load(_ url: URL) throws -> Loaded {
        let checkpoint = try Checkpoint.load(url)
        guard checkpoint.kind == VAE.kind else {
            throw CheckpointError("\(url.path): holds a \(checkpoint.kind) model; this command expects a \(VAE.kind)")
        }
        let config: VAEConfig
        do { config = try VAE.config(fromJSON: checkpoint.configJSON) } catch {
            throw CheckpointError("\(url.path): \(error)")
        }
        var rng = RandomGenerator(seed: 0)
        let model = VAE(config, rng: &rng)
        try checkpoint.assign(to: model.namedParameters, source: url.path)
        return Loaded(model: model, seed: checkpoint.metadata["seed"].flatMap(UInt64.init) ?? 1)
    }
}
