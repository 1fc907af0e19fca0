import Foundation
import LatentCheckpoint
import LatentData
import LatentModels
import LatentStats
import LatentTensor

/// The `gmm` code prior (`CodePrior.mixture`): a Gaussian mixture fitted to a VAE's training codes (posterior
/// means) and saved beside its checkpoint (`gmm-K-full.json`), so samples come from where the codes are rather than
/// from N(0, I) (Pythae's GMM sampler). A saved fit is reused while the checkpoint's epochs and the seed match.
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
}
