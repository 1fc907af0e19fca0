import Foundation
import LatentCheckpoint
import LatentData
import LatentModels
import LatentStats
import LatentTensor

/// Where `latent sample --prior` and `latent eval --judge --prior` draw codes from: the model's own prior
/// (`normal`), a Gaussian mixture fitted to its training codes (`MixturePrior`, Pythae's GMM sampler) or, for a
/// VQ-VAE, a gated PixelCNN over its code grids (`PixelCNNPrior`, Pythae's PixelCNN sampler).
public enum CodePrior: Equatable {
    /// The model's own prior: N(0, I) for Gaussian codes, uniform classes, the sphere, the wrapped normal.
    case normal
    /// A mixture of `components` Gaussians fitted to the training codes.
    case mixture(components: Int, covariance: GaussianMixture.Covariance)
    /// A PixelCNN fitted for `epochs` to the training code indices.
    case pixelcnn(epochs: Int)

    /// `normal`, `gmm[:K[:full|diagonal]]` (K 1…1000, default 10 full) or `pixelcnn[:EPOCHS]`; a `prior` error
    /// otherwise.
    public init(parsing prior: String) throws {
        if prior == "normal" {
            self = .normal
            return
        }
        if let epochs = try PixelCNNPrior.epochs(prior) {
            self = .pixelcnn(epochs: epochs)
            return
        }
        let parts = prior.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let components = parts.count > 1 ? Int(parts[1]) : 10
        let covariance = parts.count > 2 ? GaussianMixture.Covariance(rawValue: parts[2]) : .full
        guard parts[0] == "gmm", parts.count <= 3, let components, (1...1000).contains(components), let covariance
        else {
            throw LatentError(
                .evaluation, field: "prior",
                "expected normal, gmm[:K[:full|diagonal]] (K 1…1000) or pixelcnn[:EPOCHS], got '\(prior)'")
        }
        self = .mixture(components: components, covariance: covariance)
    }

    /// `count` pictures (decoder means): the model's own samples for `normal` where it is a `GenerativeModel`
    /// (`GenerativeModel.sample`), else the codes `codes` draws, decoded. What `latent eval --judge` judges.
    public func pictures(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, count: Int, seed: UInt64,
        train: () throws -> Dataset, directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> Tensor {
        if self == .normal, let own = loaded.model as? any GenerativeModel {
            var rng = RandomGenerator(seed: seed, stream: .pictures)
            return own.sample(count: count, rng: &rng)
        }
        return loaded.model.decode(
            try codes(for: loaded, count: count, seed: seed, train: train, directory: directory, notes: notes))
    }

    /// `count` codes for `loaded`'s model, drawn from `seed`'s pictures stream: N(0, I) for `normal`; the mixture
    /// fitted to the codes of `train` (read from or saved in `directory`); the PixelCNN's code grids.
    public func codes(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, count: Int, seed: UInt64,
        train: () throws -> Dataset, directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> Tensor {
        var rng = RandomGenerator(seed: seed, stream: .pictures)
        switch self {
        case .normal:
            let z = Tensor(uninitialized: [count, loaded.config.latent])
            rng.fillNormal(z)
            return z
        case .mixture(let components, let covariance):
            let fitted = try MixturePrior.mixture(
                for: loaded, train: try train(), components: components, covariance: covariance, seed: seed,
                directory: directory, notes: notes)
            return try fitted.sample(count: count, rng: &rng)
        case .pixelcnn(let epochs):
            return try PixelCNNPrior.codes(
                for: loaded, epochs: epochs, count: count, seed: seed, train: train, directory: directory, notes: notes)
        }
    }
}
