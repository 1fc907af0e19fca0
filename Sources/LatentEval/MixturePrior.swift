import Foundation
import LatentCheckpoint
import LatentData
import LatentModels
import LatentStats
import LatentTensor

/// `latent sample --prior gmm`: a Gaussian mixture fitted to a VAE's training codes (posterior means) and saved
/// beside its checkpoint (`gmm-K-full.json`), so samples come from where the codes are rather than from N(0, I)
/// (Pythae's GMM sampler). A saved fit is reused while the checkpoint's epochs and the seed match.
public enum MixturePrior {
    /// What a prior file holds.
    struct Saved: Codable {
        let epochs: Int
        let seed: UInt64
        let mixture: GaussianMixture
    }

    /// The file a fit of `components` and `covariance` is saved in, inside `directory`.
    public static func file(in directory: URL, components: Int, covariance: GaussianMixture.Covariance) -> URL {
        directory.appendingPathComponent("gmm-\(components)-\(covariance.rawValue).json")
    }

    /// The mixture for `loaded`'s VAE: read from `directory` if saved for this checkpoint and seed, else fitted to
    /// the codes of `train` and saved there (`notes` hears which).
    public static func mixture(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, train: Dataset, components: Int,
        covariance: GaussianMixture.Covariance, seed: UInt64, directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> GaussianMixture {
        guard !loaded.config.isConditional else {
            throw LatentError(.evaluation, field: "prior", "a cvae samples by label; the gmm prior is for a vae")
        }
        let url = directory.map { file(in: $0, components: components, covariance: covariance) }
        if let url, let data = try? Data(contentsOf: url),
            let saved = try? JSONDecoder().decode(Saved.self, from: data),
            saved.epochs == loaded.epochs && saved.seed == seed && saved.mixture.dimensions == loaded.config.latent
        {
            notes("using the mixture saved in \(url.path)")
            return saved.mixture
        }
        let codes = Codes.encode(loaded.model, train)
        let mixture = try GaussianMixture.fit(codes, components: components, covariance: covariance, seed: seed)
        notes(
            String(
                format: "fitted %d %@ Gaussians to %d training codes in %d EM iterations (log-likelihood %.3f)",
                components, covariance.rawValue, train.count, mixture.iterations, mixture.logLikelihood))
        if let url {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try AtomicFile.write(
                try encoder.encode(Saved(epochs: loaded.epochs, seed: seed, mixture: mixture)), to: url)
            notes("saved \(url.path)")
        }
        return mixture
    }

    /// A `--prior` value: nil for `normal` (N(0, I)), else the mixture's components and covariance from
    /// `gmm[:K[:full|diagonal]]` (default 10 full).
    public static func parse(_ prior: String) throws -> (components: Int, covariance: GaussianMixture.Covariance)? {
        if try prior == "normal" || PixelCNNPrior.epochs(prior) != nil { return nil }
        let parts = prior.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let components = parts.count > 1 ? Int(parts[1]) : 10
        let covariance = parts.count > 2 ? GaussianMixture.Covariance(rawValue: parts[2]) : .full
        guard parts[0] == "gmm", parts.count <= 3, let components, (1...1000).contains(components), let covariance
        else {
            throw LatentError(
                .evaluation, field: "prior",
                "expected normal, gmm[:K[:full|diagonal]] (K 1…1000) or pixelcnn[:EPOCHS], got '\(prior)'")
        }
        return (components, covariance)
    }

    /// `count` pictures (decoder means) from `prior`: a generative model's own prior for `normal` (N(0, I) for
    /// Gaussian codes, uniform classes, the sphere, the wrapped normal: `GenerativeModel.sample`), else the codes
    /// `codes` draws, decoded. What `latent eval --judge` judges.
    public static func pictures(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, prior: String, count: Int, seed: UInt64,
        train: () throws -> Dataset, directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> Tensor {
        if prior == "normal", let own = loaded.model as? any GenerativeModel {
            var rng = RandomGenerator(seed: seed, stream: .pictures)
            return own.sample(count: count, rng: &rng)
        }
        return loaded.model.decode(
            try codes(
                for: loaded, prior: prior, count: count, seed: seed, train: train, directory: directory, notes: notes))
    }

    /// `count` codes from `prior` (see `parse`) for `loaded`'s VAE: N(0, I), or the mixture fitted to the codes
    /// of `train` (read from or saved in `directory`), drawn from `seed`'s pictures stream; a VQ-VAE's
    /// `pixelcnn[:EPOCHS]` prior (`PixelCNNPrior`).
    public static func codes(
        for loaded: ModelStore.Loaded<any ReconstructingModel>, prior: String, count: Int, seed: UInt64,
        train: () throws -> Dataset, directory: URL?, notes: (String) -> Void = { _ in }
    ) throws -> Tensor {
        if let epochs = try PixelCNNPrior.epochs(prior) {
            return try PixelCNNPrior.codes(
                for: loaded, epochs: epochs, count: count, seed: seed, train: train, directory: directory, notes: notes)
        }
        var rng = RandomGenerator(seed: seed, stream: .pictures)
        guard let (components, covariance) = try parse(prior) else {
            let z = Tensor(uninitialized: [count, loaded.config.latent])
            rng.fillNormal(z)
            return z
        }
        let fitted = try mixture(
            for: loaded, train: try train(), components: components, covariance: covariance, seed: seed,
            directory: directory, notes: notes)
        return try fitted.sample(count: count, rng: &rng)
    }
}
