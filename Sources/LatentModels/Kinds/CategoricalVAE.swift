import LatentAutodiff
import LatentNN
import LatentTensor

/// The categorical VAE with the Gumbel-softmax relaxation (Jang et al. 2017, "Categorical reparameterization with
/// Gumbel-softmax"; PyTorch-VAE's `CategoricalVAE`): the code is `latent / categories` categorical variables of
/// `categories` classes each, one-hot blocks of the code's `latent` columns. The encoder gives each variable's
/// logits; training decodes relaxed one-hot draws softmax((logits + Gumbel noise) / τ), with τ annealed by the
/// epoch, τ(t) = max(τ_min, τ₀·e^(−r·(t − 1))); the loss is the reconstruction + KL(q ‖ uniform) of each
/// variable.
/// Its code (`encode`) is each variable's probabilities q; its prior draws each variable's class uniformly.
/// Outside training (evaluation) τ is τ_min.
public enum CategoricalVAE: ModelFamilyMember {
    /// Encodes (class probabilities), decodes and samples from its uniform prior; its code is not Gaussian.
    public static let capabilities: ModelCapabilities = [.reconstruct, .sample, .categoricalCode]
    /// Classes and temperatures, under "categorical".
    public static let settingKeys = ["categorical"]

    /// A `CategoricalAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        CategoricalAutoencoder(config, rng: &rng)
    }

    /// 2 to 1000 classes dividing `latent`; 0 < τ_min ≤ τ₀ ≤ 100; 0 ≤ r ≤ 100; β and free bits do not
    /// apply.
    public static func validate(_ c: ModelConfig) throws {
        let s = c.categorical ?? Categorical()
        guard (2...1000).contains(s.categories), c.latent % s.categories == 0 else {
            throw LatentError(
                .model, field: "categories",
                "expected 2 to 1000 classes that divide `latent` (\(c.latent)), got \(s.categories)")
        }
        guard s.temperature > 0, s.temperature <= 100, s.temperature.isFinite else {
            throw LatentError(.model, field: "temperature", "expected a temperature in (0, 100], got \(s.temperature)")
        }
        guard s.minimumTemperature > 0, s.minimumTemperature <= s.temperature else {
            throw LatentError(
                .model, field: "minimumTemperature",
                "expected a temperature in (0, \(s.temperature)] (the starting one), got \(s.minimumTemperature)")
        }
        guard s.annealRate >= 0, s.annealRate <= 100, s.annealRate.isFinite else {
            throw LatentError(.model, field: "annealRate", "expected a rate in [0, 100] per epoch, got \(s.annealRate)")
        }
        guard c.beta == 1 else { throw LatentError(.model, field: "beta", "applies to `kind` vae or cvae") }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }
}

/// The categorical code's classes and the relaxation's temperature schedule (Jang et al.: τ₀ 1, τ_min 0.5).
public struct Categorical: Codable, Equatable, Sendable {
    /// Classes per categorical variable.
    public var categories = 10
    /// τ₀, the temperature of the first epoch.
    public var temperature: Float = 1
    /// τ_min, the floor (and the temperature outside training).
    public var minimumTemperature: Float = 0.5
    /// r: τ(t) = max(τ_min, τ₀·e^(−r·(t − 1))) at epoch t.
    public var annealRate: Float = 0.1

    /// `categories` classes, τ₀, τ_min and r.
    public init(
        categories: Int = 10, temperature: Float = 1, minimumTemperature: Float = 0.5, annealRate: Float = 0.1
    ) {
        (self.categories, self.temperature, self.minimumTemperature, self.annealRate) = (
            categories, temperature, minimumTemperature, annealRate
        )
    }

    /// τ at training epoch t (nil: outside training, τ_min).
    public func temperature(epoch: Int?) -> Float {
        guard let epoch else { return minimumTemperature }
        return max(minimumTemperature, temperature * VectorMath.exp(-annealRate * Float(epoch - 1)))
    }
}

extension ModelConfig {
    /// The categorical VAE's classes and temperatures (nil: `Categorical()`).
    public var categorical: Categorical? {
        get { setting("categorical") }
        set { setSetting("categorical", newValue) }
    }
}

/// Encoder → logits of `latent / categories` categorical variables → relaxed one-hot draws → decoder.
public final class CategoricalAutoencoder: GenerativeModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// Classes and temperatures (read from the configuration once).
    public let settings: Categorical
    /// Encoder layers up to the logits.
    public let body: EncoderBody
    /// The logits of every variable's classes: hidden → latent.
    public let logitsHead: Linear
    /// Relaxed one-hot codes → the output's logits.
    public let decoder: Decoder
    /// The Gaussian likelihood's learned log-variance, if learned.
    public let outputLogVariance: Parameter?

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        settings = c.categorical ?? Categorical()
        body = EncoderBody(c, rng: &rng)
        logitsHead = Linear(body.outputSize, c.latent, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

    /// The networks, named as in PyTorch's `state_dict` (the logits head: "code", as an AE's code layer).
    public var namedChildren: [(name: String, module: any Module)] {
        [("encoder", body), ("code", logitsHead), ("decoder", decoder)]
    }

    /// The Gaussian likelihood's learned log-variance, if learned.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        outputLogVariance.map { [("output_logvar", $0)] } ?? []
    }

    /// The log-probabilities of every variable's classes, [n · variables, categories].
    func logProbabilities(_ x: Variable) -> Variable {
        logitsHead(body(x)).reshaped([x.shape[0] * config.latent / settings.categories, settings.categories])
            .logSoftmaxRows()
    }

    /// Reconstruction + Σ KL(q ‖ uniform) over the variables, summed over the batch, the decoder reading
    /// softmax((log q + Gumbel noise) / τ(epoch)) (log q differs from the logits by a constant per variable, which
    /// the softmax ignores). Parts: "reconstruction", "kl".
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let n = batch.count
        let logQ = logProbabilities(Variable(batch.x))
        let gumbel = Tensor(uninitialized: logQ.shape)
        rng.fillGumbel(gumbel)
        let tau = settings.temperature(epoch: batch.epoch)
        let relaxed = ((logQ + Variable(gumbel)) * (1 / tau)).logSoftmaxRows().exp().reshaped([n, config.latent])
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: decoder(relaxed), targets: batch.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        let logK = VectorMath.log(Float(settings.categories))
        let kl = (logQ.exp() * (logQ + logK)).sum()
        let total = klWeight.map { recon + kl * $0 } ?? recon + kl
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// Draws what `loss` draws: the Gumbel noise of a batch of `rows`.
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {
        for _ in 0..<(rows * config.latent) { _ = rng.uniform() }
    }

    /// Each variable's class probabilities q, [n, latent].
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor {
        logProbabilities(Variable(x)).exp().value.reshaped([x.shape[0], config.latent])
    }

    /// The decoder's logits for codes `z` (probabilities or one-hot blocks).
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { decoder(Variable(z)).value }

    /// Images decoded from one-hot codes whose classes are drawn uniformly, one per label (labels ignored).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let k = settings.categories, z = Tensor(zeros: [labels.count, config.latent])
        for v in 0..<(labels.count * config.latent / k) { z.data[v * k + rng.below(k)] = 1 }
        return decode(z, labels: labels)
    }
}
