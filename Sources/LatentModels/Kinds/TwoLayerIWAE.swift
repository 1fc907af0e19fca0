import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// The importance-weighted autoencoder with two stochastic layers (Burda et al. 2015, section 5; k = 1 is
/// the two-layer VAE): x → h₁ → h₂ on the way up, q(h₁|x) q(h₂|h₁), and p(h₂) = N(0, I), p(h₁|h₂),
/// p(x|h₁) on the way down, all Gaussian but the Bernoulli p(x|h₁); trained on the k-sample bound of
///
///     log w = log p(x|h₁) + log p(h₁|h₂) + log p(h₂) − log q(h₁|x) − log q(h₂|h₁).
///
/// The lower layer is the VAE's networks (`--hidden`, `--latent`: "encoder", "mean", "logvar", "decoder"); the
/// upper one has `--upper-hidden` and `--upper-latent` ("upper_encoder", "upper_mean", "upper_logvar" for q(h₂|h₁);
/// "prior_body", "prior_mean", "prior_logvar" for p(h₁|h₂)). Burda et al.'s network is `--hidden 200,200 --latent
/// 100 --upper-hidden 100,100 --upper-latent 50 --activation tanh`.
public enum TwoLayerIWAE: ModelFamilyMember {
    /// Encodes (h₁'s posterior), decodes h₁ and samples from its prior by ancestral sampling.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// k, the upper layer's hidden widths and code size.
    public static let settingKeys = ["importanceSamples", "upperHidden", "upperLatent"]

    /// A `TwoLayerAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        TwoLayerAutoencoder(config, rng: &rng)
    }

    /// The IWAE's rules, an MLP body, 1 … 8 upper hidden layers of 1 … 16,384 units and an upper code of
    /// 1 … 1024.
    public static func validate(_ c: ModelConfig) throws {
        try ImportanceWeightedBound.validate(c)
        guard c.arch == .mlp else { throw LatentError(.model, field: "arch", "an iwae2 is built of MLPs: mlp") }
        guard let h = c.upperHidden, (1...8).contains(h.count), h.allSatisfy({ (1...16384).contains($0) }) else {
            throw LatentError(
                .model, field: "upperHidden", "expected 1…8 widths of 1…16384 for an iwae2's upper layer")
        }
        guard let l = c.upperLatent, (1...1024).contains(l) else {
            throw LatentError(.model, field: "upperLatent", "expected 1…1024 upper code values for an iwae2")
        }
    }

    /// k samples per image.
    public static func samplesPerExample(_ c: ModelConfig) -> Int { c.importanceSamples ?? 1 }
    /// The importance samples.
    public static let samplesSetting: String? = "importanceSamples"

    /// The upper layer's two networks: q(h₂|h₁) and p(h₁|h₂), each an MLP and two heads.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        let h = c.upperHidden ?? [100, 100], top = c.upperLatent ?? 50
        func mlp(_ input: Int, _ widths: [Int], heads: Int) -> Double {
            var total = 0.0, previous = input
            for w in widths {
                total += Double((previous + 1) * w)
                previous = w
            }
            return total + 2 * Double((previous + 1) * heads)
        }
        return mlp(c.latent, h, heads: top) + mlp(top, h.reversed(), heads: c.latent)
    }
}

extension ModelConfig {
    /// The hidden widths of a two-layer IWAE's upper networks.
    public var upperHidden: [Int]? {
        get { setting("upperHidden") }
        set { setSetting("upperHidden", newValue) }
    }

    /// The size of a two-layer IWAE's upper code h₂.
    public var upperLatent: Int? {
        get { setting("upperLatent") }
        set { setSetting("upperLatent", newValue) }
    }
}

/// A Gaussian conditional: an MLP and mean and log-variance heads.
public final class GaussianConditional: Module {
    /// The MLP.
    public let body: EncoderBody
    /// The mean head.
    public let mean: Linear
    /// The log-variance head.
    public let logVariance: Linear
    /// The state_dict prefixes of the three.
    let names: (body: String, mean: String, logVariance: String)

    /// `input` → `hidden` (the configuration's activation) → two heads of `output`.
    init(
        _ c: ModelConfig, input: Int, hidden: [Int], output: Int, names: (String, String, String),
        rng: inout RandomGenerator
    ) {
        var inner = ModelConfig(kind: .vae)
        (inner.inputSize, inner.imageHeight, inner.imageWidth) = (input, 1, input)
        (inner.hidden, inner.activation) = (hidden, c.activation)
        body = EncoderBody(inner, rng: &rng)
        mean = Linear(body.outputSize, output, rng: &rng)
        logVariance = Linear(body.outputSize, output, rng: &rng)
        self.names = names
    }

    /// Its three networks under their names.
    public var namedChildren: [(name: String, module: any Module)] {
        [(names.body, body), (names.mean, mean), (names.logVariance, logVariance)]
    }

    /// Mean and log-variance of rows `x`.
    public func callAsFunction(_ x: Variable) -> (mean: Variable, logVariance: Variable) {
        let h = body(x)
        return (mean(h), logVariance(h))
    }
}

/// A VAE's networks (x ↔ h₁) with a second stochastic layer h₂ above them, trained on the k-sample bound.
public final class TwoLayerAutoencoder: VariationalAutoencoder, MeasuredModel {
    /// q(h₂|h₁).
    public let upperPosterior: GaussianConditional
    /// p(h₁|h₂).
    public let lowerPrior: GaussianConditional
    /// Importance samples per image.
    public let samples: Int
    /// The size of h₂.
    public let upperLatent: Int

    /// A new model of configuration `c`, initialised as PyTorch initialises its layers.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        let h = c.upperHidden ?? [100, 100], top = c.upperLatent ?? 50
        samples = c.importanceSamples ?? 1
        upperLatent = top
        upperPosterior = GaussianConditional(
            c, input: c.latent, hidden: h, output: top, names: ("upper_encoder", "upper_mean", "upper_logvar"),
            rng: &rng)
        lowerPrior = GaussianConditional(
            c, input: top, hidden: h.reversed(), output: c.latent, names: ("prior_body", "prior_mean", "prior_logvar"),
            rng: &rng)
        super.init(c, rng: &rng)
    }

    /// The VAE's networks, then q(h₂|h₁)'s and p(h₁|h₂)'s.
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + upperPosterior.namedChildren + lowerPrior.namedChildren
    }

    /// k draws per image, each of h₁ and h₂: [n·k, latent + upperLatent] standard-normal noise.
    public override var noiseSamples: Int { samples }

    /// The standard-normal noise of a batch: h₁'s and h₂'s columns side by side.
    override func noise(rows: Int, rng: inout RandomGenerator) -> Tensor {
        let eps = Tensor(uninitialized: [rows * samples, config.latent + upperLatent])
        rng.fillNormal(eps)
        return eps
    }

    /// Columns `range` of `t`, copied.
    static func columns(_ t: Tensor, _ range: Range<Int>) -> Tensor {
        let rows = t.shape[0], width = t.shape[1], out = Tensor(uninitialized: [rows, range.count])
        for r in 0..<rows {
            (out.data + r * range.count).update(from: t.data + r * width + range.lowerBound, count: range.count)
        }
        return out
    }

    /// Σ_j over each row of a [rows, d] variable: [rows, 1].
    static func rowSums(_ v: Variable) -> Variable {
        Variable.matmul(v, Variable(Tensor(repeating: 1, shape: [v.shape[1], 1])))
    }

    /// log N(x; mean, exp(logVariance)) per row [rows, 1], without the log 2π terms.
    static func logNormal(_ x: Variable, mean: Variable, logVariance: Variable) -> Variable {
        rowSums(logVariance + (x - mean).square() * (logVariance * -1).exp()) * -0.5
    }

    /// The part of log w beyond the one-layer bound's, per row [rows, 1]: log p(h₁|h₂) + log p(h₂)
    /// − log q(h₂|h₁) − log N(h₁; 0, I), for h₂ = μ₂(h₁) + σ₂(h₁)·ε₂.
    func upperLogWeight(_ h1: Variable, noise eps2: Tensor) -> Variable {
        let (mu2, logVar2) = upperPosterior(h1)
        let h2 = Variable.reparameterize(mean: mu2, logVariance: logVar2, noise: eps2)
        let (priorMean, priorLogVar) = lowerPrior(h2)
        var epsSquared = [Float](repeating: 0, count: eps2.shape[0])
        for r in 0..<eps2.shape[0] {
            for j in 0..<eps2.shape[1] { epsSquared[r] += eps2[r, j] * eps2[r, j] }
        }
        // log q(h₂|h₁) = −½ Σ (logvar₂ + ε₂²): its total derivative reaches logvar₂ only.
        let logQ2 = (Self.rowSums(logVar2) + Variable(Tensor(epsSquared, shape: [eps2.shape[0], 1]))) * -0.5
        let logP2 = Self.rowSums(h2.square()) * -0.5
        let logStandardH1 = Self.rowSums(h1.square()) * -0.5
        return Self.logNormal(h1, mean: priorMean, logVariance: priorLogVar) + logP2 - logQ2 - logStandardH1
    }

    /// The negative k-sample bound of the two layers with given noise [n·k, latent + upperLatent].
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let k = samples, d1 = config.latent
        let eps1 = Self.columns(noise, 0..<d1), eps2 = Self.columns(noise, d1..<(d1 + upperLatent))
        let (mu, logVar) = posterior(Variable(batch.x))
        let lv = logVar.repeatRows(k)
        let h1 = Variable.reparameterize(mean: mu.repeatRows(k), logVariance: lv, noise: eps1)
        let bound = Variable.negativeImportanceWeightedBound(
            logits: logits(h1), targets: batch.x, z: h1, noise: eps1, logVariance: lv, samples: k,
            extraLogWeight: upperLogWeight(h1, noise: eps2))
        return LossTerms(total: bound, parts: [("iwae2_bound", bound.value.scalar)])
    }

    /// A one-draw estimate of log p(h₁) − log N(h₁; 0, I) per row, h₂ drawn from q(h₂|h₁): importance
    /// sampling then weighs the pair (h₁, h₂) as the bound does.
    public override func priorLogDensityRatio(_ z: Tensor, rng: inout RandomGenerator) -> [Double]? {
        let eps2 = Tensor(uninitialized: [z.shape[0], upperLatent])
        rng.fillNormal(eps2)
        let w = upperLogWeight(Variable(z), noise: eps2).value
        return (0..<z.shape[0]).map { Double(w.data[$0]) }
    }

    /// Images decoded from ancestral draws: h₂ ~ N(0, I), h₁ ~ p(h₁|h₂).
    public override func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let h2 = Tensor(uninitialized: [labels.count, upperLatent])
        let eps = Tensor(uninitialized: [labels.count, config.latent])
        rng.fillNormal(h2)
        rng.fillNormal(eps)
        let (m, v) = lowerPrior(Variable(h2))
        let h1 = Variable.reparameterize(mean: m, logVariance: v, noise: eps).value
        return decode(h1, labels: labels)
    }

    /// elbo: the one-sample bound (k = 1) of the same networks beside the k-sample one, with noise from `seed`'s
    /// evaluation stream.
    public func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)] {
        var rng = RandomGenerator(seed: seed, stream: .evaluation)
        var total = 0.0
        forEachBatch { batch in
            let rows = batch.x.shape[0], d1 = config.latent
            let eps = Tensor(uninitialized: [rows, d1 + upperLatent])
            rng.fillNormal(eps)
            let eps1 = Self.columns(eps, 0..<d1), eps2 = Self.columns(eps, d1..<(d1 + upperLatent))
            let (mu, logVar) = posterior(Variable(batch.x))
            let h1 = Variable.reparameterize(mean: mu, logVariance: logVar, noise: eps1)
            let bound = Variable.negativeImportanceWeightedBound(
                logits: logits(h1), targets: batch.x, z: h1, noise: eps1, logVariance: logVar, samples: 1,
                extraLogWeight: upperLogWeight(h1, noise: eps2))
            total += Double(bound.value.scalar)
        }
        return [("elbo", -total / Double(count))]
    }

    /// The KL is not the analytic one to N(0, I).
    public override var hasAnalyticKL: Bool { false }
}
