import LatentAutodiff
import LatentNN
import LatentTensor

/// The Poincaré VAE (Mathieu et al. 2019, "Continuous hierarchical representations with Poincaré variational
/// auto-encoders"; Pythae's `PoincareVAE` with its default wrapped normals): codes lie in the Poincaré ball
/// of curvature −c, {z : c‖z‖² < 1}. The encoder's mean head is mapped into the ball by exp₀ (the paper's
/// encoder, Pythae's reproduction script), its log-variance head gives σ; the posterior is the wrapped normal at
/// μ — a N(0, diag σ²) tangent vector at the origin, carried to μ and mapped onto the ball,
/// z = exp_μ(PT₀→μ(v/λ₀)) — and the prior the wrapped normal at the origin with σ = 1. The KL term is the
/// one-sample estimate log q(z|x) − log p(z), each wrapped density the tangent Gaussian's less
/// (m − 1)·log(sinh(√c·d)/(√c·d)), d the geodesic distance from the centre; as Pythae computes them, in single
/// precision, with its clamps.
public enum PoincareVAE: ModelFamilyMember {
    /// Encodes (the posterior's centre in the ball), decodes and samples from its wrapped-normal prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .sample]
    /// The curvature c under "curvature".
    public static let settingKeys = ["curvature"]

    /// A `PoincareAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        PoincareAutoencoder(config, rng: &rng)
    }

    /// The log-variance head (the configuration counts the mean head as a code layer).
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Double(c.encoderOutputWidth + 1) * Double(c.latent)
    }

    /// 0 < c ≤ 100; β and free bits do not apply.
    public static func validate(_ c: ModelConfig) throws {
        let curvature = c.curvature ?? 1
        guard curvature > 0, curvature <= 100, curvature.isFinite else {
            throw LatentError(
                .model, field: "curvature",
                "expected a curvature 0 < c ≤ 100 (the ball's radius is 1/√c), got \(curvature)")
        }
        guard c.beta == 1 else { throw LatentError(.model, field: "beta", "applies to `kind` vae or cvae") }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// x ⊕_c y, Möbius addition row by row (Pythae's `_mobius_add`, unprojected).
    public static func mobiusAdd(_ x: Variable, _ y: Variable, c: Float) -> Variable {
        let x2 = (x * x).rowSums(), y2 = (y * y).rowSums(), xy = (x * y).rowSums()
        let numerator = x * (xy * (2 * c) + y2 * c + 1) + y * (x2 * -c + 1)
        return numerator / (xy * (2 * c) + x2 * y2 * (c * c) + 1).clampedBelow(1e-15)
    }

    /// Each row's Euclidean norm, clamped below at 1e-15, [n, 1].
    public static func norms(_ v: Variable) -> Variable { (v * v).rowSums().sqrt().clampedBelow(1e-15) }

    /// exp₀(u) = tanh(√c‖u‖)·u/(√c‖u‖): tangent vectors at the origin onto the ball.
    public static func expmap0(_ u: Variable, c: Float) -> Variable {
        let sc = c.squareRoot(), norm = norms(u)
        return u * ((norm * sc).tanh() / (norm * sc))
    }

    /// log N_wrapped(z; centre, σ) per row, [n, 1]: the tangent Gaussian of
    /// u = (2/√c)·artanh(√c‖s‖)·s/‖s‖, s = (−centre) ⊕ z, less
    /// (m − 1)·log(sinh(√c·d)/(√c·d)) for d = (2/√c)·artanh(√c‖s‖). `logSigma` is log σ
    /// ([n, m], or nil for σ = 1); `centre` nil is the origin.
    public static func wrappedLogDensity(_ z: Variable, centre: Variable?, logSigma: Variable?, c: Float) -> Variable {
        let m = z.shape[1], sc = c.squareRoot()
        let s = centre.map { mobiusAdd($0 * -1, z, c: c) } ?? z
        let raw = (s * s).rowSums().sqrt()
        let distance = (raw * sc).artanh() * (2 / sc)
        let u = s * (distance / raw.clampedBelow(1e-15))
        let standardised = logSigma.map { u * ($0 * -1).exp() } ?? u
        var gaussian = (standardised * standardised).rowSums() * -0.5 + -0.5 * Float(m) * VectorMath.log(2 * .pi)
        if let logSigma { gaussian = gaussian - logSigma.rowSums() }
        return gaussian - (distance * sc).logSinhRatio() * Float(m - 1)
    }
}

extension ModelConfig {
    /// The Poincaré VAE's curvature c (nil: 1).
    public var curvature: Float? {
        get { setting("curvature") }
        set { setSetting("curvature", newValue) }
    }
}

/// Encoder → exp₀(mean) and σ of a wrapped normal in the Poincaré ball → a draw → decoder.
public final class PoincareAutoencoder: GenerativeModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// c (read from the configuration once).
    public let curvature: Float
    /// Encoder layers up to the heads.
    public let body: EncoderBody
    /// The posterior's centre before exp₀: hidden → latent.
    public let meanHead: Linear
    /// log σ²: hidden → latent.
    public let logVarianceHead: Linear
    /// Points of the ball → the output's logits.
    public let decoder: Decoder
    /// The Gaussian likelihood's learned log-variance, if learned.
    public let outputLogVariance: Parameter?

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        curvature = c.curvature ?? 1
        body = EncoderBody(c, rng: &rng)
        meanHead = Linear(body.outputSize, c.latent, rng: &rng)
        logVarianceHead = Linear(body.outputSize, c.latent, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

    /// The networks, named as in PyTorch's `state_dict`.
    public var namedChildren: [(name: String, module: any Module)] {
        [("encoder", body), ("mean", meanHead), ("logvar", logVarianceHead), ("decoder", decoder)]
    }

    /// The Gaussian likelihood's learned log-variance, if learned.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        outputLogVariance.map { [("output_logvar", $0)] } ?? []
    }

    /// Reconstruction + (log q(z|x) − log p(z)) of one wrapped-normal draw per row, summed over the batch.
    /// Parts: "reconstruction", "kl" (the one-sample estimate).
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let c = curvature, h = body(Variable(batch.x))
        let centre = PoincareVAE.expmap0(meanHead(h), c: c), logSigma = logVarianceHead(h) * 0.5
        let noise = Tensor(uninitialized: [batch.count, config.latent])
        rng.fillNormal(noise)
        // v = σ·ε at the origin; /λ₀ = 2; carried to the centre: × 2/λ_centre = 1 − c‖centre‖²
        // (clamped).
        let shrink = ((centre * centre).rowSums() * -c + 1).clampedBelow(1e-15)
        let carried = logSigma.exp() * Variable(noise) * shrink * 0.5
        let norm = PoincareVAE.norms(carried), sc = c.squareRoot()
        // exp_centre(u) = centre ⊕ tanh(√c/2·λ_centre·‖u‖)·u/(√c‖u‖), λ_centre = 2/shrink.
        let step = carried * ((norm * sc / shrink).tanh() / (norm * sc))
        let z = PoincareVAE.mobiusAdd(centre, step, c: c)
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: decoder(z), targets: batch.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        let kl =
            (PoincareVAE.wrappedLogDensity(z, centre: centre, logSigma: logSigma, c: c)
            - PoincareVAE.wrappedLogDensity(z, centre: nil, logSigma: nil, c: c)).sum()
        let total = klWeight.map { recon + kl * $0 } ?? recon + kl
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// Draws what `loss` draws from `rng`: a standard normal per code value.
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {
        rng.fillNormal(Tensor(uninitialized: [rows, config.latent]))
    }

    /// The posterior's centre exp₀(mean) in the ball, [n, latent].
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor {
        PoincareVAE.expmap0(meanHead(body(Variable(x))), c: curvature).value
    }

    /// The decoder's logits for points `z` of the ball.
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { decoder(Variable(z)).value }

    /// Images decoded from the prior, the wrapped normal at the origin: exp₀(ε/2), one per label (labels ignored).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let noise = Tensor(uninitialized: [labels.count, config.latent])
        rng.fillNormal(noise)
        return decode(PoincareVAE.expmap0(Variable(noise) * 0.5, c: curvature).value, labels: labels)
    }
}
