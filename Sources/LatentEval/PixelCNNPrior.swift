import Foundation
import LatentAutodiff
import LatentCheckpoint
import LatentData
import LatentModels
import LatentNN
import LatentOptim
import LatentTensor

/// `latent sample --prior pixelcnn[:EPOCHS]`: a VQ-VAE's autoregressive prior, a `GatedPixelCNN` fitted to the
/// code indices of its training pictures (Adam 10⁻³, batches of 128, `EPOCHS` passes, default 10; the last 5% of
/// the training pictures held out to report its negative log-likelihood), saved beside the checkpoint
/// (`prior-pixelcnn.safetensors`) and reused while the checkpoint's epochs, the seed and the epochs match. Codes are
/// drawn index by index and read from the codebook.
public enum PixelCNNPrior {
    /// Passes over the training codes unless `--prior pixelcnn:EPOCHS` says.
    public static let defaultEpochs = 10
    /// Rows per step.
    static let batchSize = 128

    /// The epochs of a `pixelcnn[:EPOCHS]` prior (1 … 1000), nil for another prior.
    public static func epochs(_ prior: String) throws -> Int? {
        let parts = prior.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts[0] == "pixelcnn" else { return nil }
        guard parts.count <= 2, let epochs = parts.count == 2 ? Int(parts[1]) : defaultEpochs,
            (1...1000).contains(epochs)
        else {
            throw LatentError(.evaluation, field: "prior", "expected pixelcnn[:EPOCHS] (1 … 1000), got '\(prior)'")
        }
        return epochs
    }

    /// The file the prior is saved in, inside `directory`.
    public static func file(in directory: URL) -> URL { directory.appendingPathComponent("prior-pixelcnn.safetensors") }

    /// The prior of `loaded`'s VQ-VAE: read from `directory` if saved for this checkpoint, seed and `epochs`, else
    /// fitted to the code indices of `train` and saved there (`notes` hears each epoch).
    public static func network(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, train: Dataset, epochs: Int, seed: UInt64,
        directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> GatedPixelCNN {
        let model = try quantized(loaded)
        let q = model.quantizer.settings, positions = loaded.config.latent / q.dimension
        var rng = RandomGenerator(seed: seed, stream: .pictures)
        let network = GatedPixelCNN(positions: positions, classes: q.size, rng: &rng)
        let signature = [
            "checkpoint_epochs": String(loaded.epochs), "seed": String(seed), "epochs": String(epochs),
            "positions": String(positions), "classes": String(q.size),
        ]
        let url = directory.map(file(in:))
        if let url, let (tensors, metadata) = try? SafeTensors.read(url),
            signature.allSatisfy({ metadata[$0.key] == $0.value })
        {
            for (name, p) in network.namedParameters {
                guard let t = tensors[name], t.count == p.value.count else {
                    throw LatentError(
                        .evaluation, field: "prior", "\(url.path): '\(name)' is missing or of another size")
                }
                p.value.data.update(from: t.data, count: t.count)
            }
            notes("using the PixelCNN prior saved in \(url.path)")
            return network
        }
        var indices: [Int] = []
        Evaluation.forEachBatch(train) { batch, _ in indices += model.codeIndices(batch.x) }
        try fit(network, indices: indices, epochs: epochs, rng: &rng, notes: notes)
        if let url {
            let tensors = network.namedParameters.map { (name: $0.name, tensor: $0.parameter.value) }
            try AtomicFile.write(try SafeTensors.encode(tensors, metadata: signature), to: url)
            notes("saved \(url.path)")
        }
        return network
    }

    /// Adam on the rows of `indices` but the last 5%, whose negative log-likelihood per row each epoch reports;
    /// returns the last epoch's (nats per row).
    @discardableResult
    public static func fit(
        _ network: GatedPixelCNN, indices: [Int], epochs: Int, rng: inout RandomGenerator,
        notes: (String) -> Void = { _ in }
    ) throws -> Double {
        let p = network.positions, rows = indices.count / p, held = max(1, rows / 20), trained = rows - held
        let adam = try Adam(network, learningRate: 1e-3)
        let parameters = adam.parameters
        func rowsOf(_ order: ArraySlice<Int>) -> [Int] { order.flatMap { indices[($0 * p)..<(($0 + 1) * p)] } }
        var last = Double.nan
        for epoch in 1...epochs {
            let started = Date()
            var total = 0.0
            let order = rng.permutation(trained)
            for start in stride(from: 0, to: trained, by: batchSize) {
                parameters.zeroGrad()
                let loss = network.loss(rowsOf(order[start..<min(trained, start + batchSize)]))
                loss.backward()
                adam.step()
                total += Double(loss.value.scalar)
            }
            var heldOut = 0.0
            for start in stride(from: trained, to: rows, by: 512) {
                heldOut += Double(network.loss(rowsOf(Array(start..<min(rows, start + 512))[...])).value.scalar)
            }
            last = heldOut / Double(held)
            notes(
                String(
                    format: "pixelcnn prior epoch %d/%d: %.3f nats per code row on training rows, %.3f on %d held out"
                        + "  [%.1f s]", epoch, epochs, total / Double(trained), last, held,
                    Date().timeIntervalSince(started)))
        }
        return last
    }

    /// `count` codes drawn from the prior of `loaded`'s VQ-VAE (fitted or read as `network` says), from `seed`'s
    /// pictures stream: sampled indices read from the codebook, [count, latent].
    public static func codes(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, epochs: Int, count: Int, seed: UInt64,
        train: () throws -> Dataset, directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> Tensor {
        let model = try quantized(loaded)
        let network = try Self.network(
            for: loaded, train: try train(), epochs: epochs, seed: seed, directory: directory, notes: notes)
        var rng = RandomGenerator(seed: seed ^ 0x9E37_79B9_7F4A_7C15, stream: .pictures)
        let indices = network.sample(count: count, rng: &rng)
        return model.quantizer.entries(indices, like: Tensor(uninitialized: [count, loaded.config.latent]))
    }

    /// The VQ-VAE, or the error that names the priors another kind has.
    static func quantized(_ loaded: ModelStore.Loaded<any ReconstructingModel>) throws -> VectorQuantizedAutoencoder {
        guard let model = loaded.model as? VectorQuantizedAutoencoder else {
            throw LatentError(
                .evaluation, field: "prior",
                "pixelcnn is a vqvae's prior (over its code indices); a \(loaded.config.kind.rawValue) samples "
                    + "through normal or gmm")
        }
        return model
    }
}
