import LatentAutodiff
import LatentNN
import LatentTensor

/// The hyperspherical VAE (Davidson et al. 2018, "Hyperspherical variational auto-encoders"; Pythae's `SVAE`): the
/// code lies on the unit sphere S^{m−1} (m = `latent`), the posterior is von Mises–Fisher with direction
/// e/‖e‖ and concentration κ = softplus(h) + 1 (two heads: "direction", m wide, and "concentration", one), the
/// prior is uniform on the sphere. Training draws codes by Wood's rejection sampler (`VonMisesFisher`) and
/// minimises the reconstruction + KL(vMF ‖ uniform), whose Bessel-function terms are computed in double precision.
/// Its code (`encode`) is the direction μ; samples decode uniform points of the sphere.
public enum HypersphericalVAE: ModelFamilyMember {
    /// Encodes (the direction), decodes and samples from its uniform prior; its code is not Gaussian.
    public static let capabilities: ModelCapabilities = [.reconstruct, .sample, .manifoldCode]

    /// A `HypersphericalAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        HypersphericalAutoencoder(config, rng: &rng)
    }

    /// The concentration head's weights and bias (the direction head is counted as an autoencoder's code layer).
    public static func extraParameterCount(_ c: ModelConfig) -> Double { Double(c.encoderOutputWidth + 1) }

    /// A point drawn uniformly on the unit sphere of `count` coordinates, written at `p` (normalised Gaussian draws,
    /// redrawn in the measure-zero case of all zeros).
    static func drawUniformDirection(_ p: UnsafeMutablePointer<Float>, count: Int, rng: inout RandomGenerator) {
        var norm: Float = 0
        repeat {
            for j in 0..<count { p[j] = rng.normal() }
            norm = (0..<count).reduce(0) { $0 + p[$1] * p[$1] }
        } while norm == 0
        for j in 0..<count { p[j] /= norm.squareRoot() }
    }

    /// A sphere of 2 to 256 dimensions (S¹ … S²⁵⁵); β and free bits do not apply.
    public static func validate(_ c: ModelConfig) throws {
        guard (2...256).contains(c.latent) else {
            throw LatentError(
                .model, field: "latent", "an svae's code lies on S^(latent−1): expected 2 … 256, got \(c.latent)")
        }
        guard c.beta == 1 else { throw LatentError(.model, field: "beta", "applies to `kind` vae or cvae") }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }
}

/// Encoder → direction and concentration of a von Mises–Fisher posterior → a draw on the sphere → decoder.
public final class HypersphericalAutoencoder: GenerativeModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// Encoder layers up to the heads.
    public let body: EncoderBody
    /// e, the unnormalised direction: hidden → latent.
    public let directionHead: Linear
    /// h, with κ = softplus(h) + 1: hidden → 1.
    public let concentrationHead: Linear
    /// Points of the sphere → the output's logits.
    public let decoder: Decoder
    /// The Gaussian likelihood's learned log-variance, if learned.
    public let outputLogVariance: Parameter?

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        body = EncoderBody(c, rng: &rng)
        directionHead = Linear(body.outputSize, c.latent, rng: &rng)
        concentrationHead = Linear(body.outputSize, 1, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

    /// The networks, named as in PyTorch's `state_dict`.
    public var namedChildren: [(name: String, module: any Module)] {
        [("encoder", body), ("direction", directionHead), ("concentration", concentrationHead), ("decoder", decoder)]
    }

    /// The Gaussian likelihood's learned log-variance, if learned.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        outputLogVariance.map { [("output_logvar", $0)] } ?? []
    }

    /// Reconstruction + Σ KL(vMF ‖ uniform), summed over the batch, the decoder reading one vMF draw per row.
    /// Each row's draw comes from its own generator seeded by one number of `rng` (the rejection sampler takes as
    /// many proposals as it needs). Parts: "reconstruction", "kl".
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let n = batch.count, m = config.latent
        let h = body(Variable(batch.x))
        let (e, k) = (directionHead(h), concentrationHead(h))
        let tangent = Tensor(uninitialized: [n, m - 1])
        var mixing = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var local = RandomGenerator(seed: rng.next())
            HypersphericalVAE.drawUniformDirection(tangent.data + i * (m - 1), count: m - 1, rng: &local)
            mixing[i] = VonMisesFisher.mixing(
                kappa: VonMisesFisher.concentration(k.value.data[i]), dimension: m, rng: &local)
        }
        let z = Variable.vonMisesFisherSample(direction: e, concentration: k, mixing: mixing, tangent: tangent)
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: decoder(z), targets: batch.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        let kl = Variable.vonMisesFisherKL(concentration: k, dimension: m)
        let total = klWeight.map { recon + kl * $0 } ?? recon + kl
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// Draws what `loss` draws from `rng`: one seed per row.
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {
        for _ in 0..<rows { _ = rng.next() }
    }

    /// The posterior's direction μ = e/‖e‖, [n, latent].
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor {
        let e = directionHead(body(Variable(x))).value, m = config.latent
        for i in 0..<x.shape[0] {
            let row = e.data + i * m
            let norm = (0..<m).reduce(Float(0)) { $0 + row[$1] * row[$1] }.squareRoot()
            for j in 0..<m { row[j] /= max(norm, 1e-12) }
        }
        return e
    }

    /// Each row's concentration κ = softplus(h) + 1, [n].
    public func concentrations(_ x: Tensor) -> [Double] {
        let k = concentrationHead(body(Variable(x))).value
        return (0..<x.shape[0]).map { VonMisesFisher.concentration(k.data[$0]) }
    }

    /// The decoder's logits for points `z` of the sphere.
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { decoder(Variable(z)).value }

    /// Images decoded from uniform points of the sphere (normalised Gaussian draws), one per label (labels
    /// ignored).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let m = config.latent, z = Tensor(uninitialized: [labels.count, m])
        for i in 0..<labels.count { HypersphericalVAE.drawUniformDirection(z.data + i * m, count: m, rng: &rng) }
        return decode(z, labels: labels)
    }
}
