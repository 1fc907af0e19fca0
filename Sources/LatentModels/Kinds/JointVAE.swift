import LatentAutodiff
import LatentNN
import LatentTensor

/// JointVAE (Dupont 2018, "Learning disentangled joint continuous and discrete representations"; PyTorch-VAE's
/// `JointVAE`): a code of `latent − categories` Gaussian dimensions and one categorical variable of `categories`
/// classes (relaxed by the Gumbel-softmax at temperature τ), trained on the reconstruction +
/// γ·|KL_continuous − C_z(t)| + γ·|KL_discrete − C_c(t)|, both KLs the batch's means and both capacities raised
/// linearly over T epochs (C_c at most log K), as the paper. Its code (`encode`) is the Gaussian means followed by
/// the class probabilities; its prior N(0, I) × uniform. Outside training the capacities are full.
public enum JointVAE: ModelFamilyMember {
    /// Encodes, decodes and samples; part of its code is categorical. Its capacity terms pair the batch's KLs,
    /// which data-parallel workers share (`BatchCoupledModel`).
    public static let capabilities: ModelCapabilities = [.reconstruct, .sample, .categoricalCode]
    /// Its classes, capacities, γ, warm-up and temperature, under "joint".
    public static let settingKeys = ["joint"]

    /// A `JointAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        JointAutoencoder(config, rng: &rng)
    }

    /// 2 ≤ K < latent; capacities and γ in [0, 10⁴]; 0 ≤ T ≤ 10⁶; 0 < τ ≤ 100; β and free bits do not
    /// apply.
    public static func validate(_ c: ModelConfig) throws {
        let s = c.joint ?? JointCode()
        guard s.categories >= 2, s.categories < c.latent, s.categories <= 1000 else {
            throw LatentError(
                .model, field: "categories",
                "expected 2 to 1000 classes, fewer than `latent` (\(c.latent)), got \(s.categories)")
        }
        for (name, value) in [
            ("capacityWeight", s.gamma), ("continuousCapacity", s.continuousCapacity),
            ("discreteCapacity", s.discreteCapacity),
        ] {
            guard value >= 0, value <= 10_000, value.isFinite else {
                throw LatentError(.model, field: name, "expected a number in [0, 10000], got \(value)")
            }
        }
        guard (0...1_000_000).contains(s.warmupEpochs) else {
            throw LatentError(.model, field: "capacityEpochs", "expected 0…1000000 epochs, got \(s.warmupEpochs)")
        }
        guard s.temperature > 0, s.temperature <= 100, s.temperature.isFinite else {
            throw LatentError(.model, field: "temperature", "expected a temperature in (0, 100], got \(s.temperature)")
        }
        guard c.beta == 1 else { throw LatentError(.model, field: "beta", "applies to `kind` vae or cvae") }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The second Gaussian head (the configuration counts one head of `latent` columns).
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        let s = c.joint ?? JointCode()
        return Double(c.encoderOutputWidth + 1) * Double(c.latent - s.categories)
    }

    /// Threads share the batch's KLs; processes do not.
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        processes ? "the jointvae's capacity terms pair the whole batch's KLs; train it in one process" : nil
    }
}

/// JointVAE's settings (Dupont's MNIST: K 10, C_z 5, C_c 5 nats, γ 30, τ 0.67).
public struct JointCode: Codable, Equatable, Sendable {
    /// Classes of the categorical variable.
    public var categories = 10
    /// C_z, the continuous KL's final capacity in nats.
    public var continuousCapacity: Float = 5
    /// C_c, the discrete KL's final capacity in nats (at most log K is used).
    public var discreteCapacity: Float = 5
    /// γ, the weight of both capacity gaps.
    public var gamma: Float = 30
    /// T: C(t) = C·min(t / (T + 1), 1) at epoch t.
    public var warmupEpochs = 25
    /// τ of the Gumbel-softmax relaxation.
    public var temperature: Float = 0.67

    /// The settings; each default is Dupont's.
    public init(
        categories: Int = 10, continuousCapacity: Float = 5, discreteCapacity: Float = 5, gamma: Float = 30,
        warmupEpochs: Int = 25, temperature: Float = 0.67
    ) {
        (self.categories, self.continuousCapacity, self.discreteCapacity) = (
            categories, continuousCapacity, discreteCapacity
        )
        (self.gamma, self.warmupEpochs, self.temperature) = (gamma, warmupEpochs, temperature)
    }

    /// (C_z(t), C_c(t)) at training epoch t (nil: outside training, the full capacities).
    public func capacities(epoch: Int?) -> (continuous: Float, discrete: Float) {
        let ramp = epoch.map { min(Float($0) / Float(warmupEpochs + 1), 1) } ?? 1
        let logK = VectorMath.log(Float(categories))
        return (continuousCapacity * ramp, min(discreteCapacity * ramp, logK))
    }
}

extension ModelConfig {
    /// JointVAE's settings (nil: `JointCode()`).
    public var joint: JointCode? {
        get { setting("joint") }
        set { setSetting("joint", newValue) }
    }
}

/// Encoder → (Gaussian means and log-variances, class logits) → [z; relaxed one-hot] → decoder.
public final class JointAutoencoder: GenerativeModel, BatchCoupledModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// The settings (read from the configuration once).
    public let settings: JointCode
    /// Encoder layers up to the heads.
    public let body: EncoderBody
    /// The Gaussian part's means and log-variances: hidden → latent − K each.
    public let meanHead: Linear, logVarianceHead: Linear
    /// The class logits: hidden → K.
    public let categoryHead: Linear
    /// [z; one-hot] → the output's logits.
    public let decoder: Decoder
    /// The Gaussian likelihood's learned log-variance, if learned.
    public let outputLogVariance: Parameter?
    private let continuous: Int

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        settings = c.joint ?? JointCode()
        continuous = c.latent - settings.categories
        body = EncoderBody(c, rng: &rng)
        meanHead = Linear(body.outputSize, continuous, rng: &rng)
        logVarianceHead = Linear(body.outputSize, continuous, rng: &rng)
        categoryHead = Linear(body.outputSize, settings.categories, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

    /// The networks, named as in PyTorch's `state_dict`.
    public var namedChildren: [(name: String, module: any Module)] {
        [
            ("encoder", body), ("mean", meanHead), ("logvar", logVarianceHead), ("category", categoryHead),
            ("decoder", decoder),
        ]
    }

    /// The Gaussian likelihood's learned log-variance, if learned.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        outputLogVariance.map { [("output_logvar", $0)] } ?? []
    }

    /// The whole objective on one graph.
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        coupledTotal(batch, klWeight: klWeight, rng: &rng)
    }

    /// The reconstruction of `share` decoded from [z; softmax((log q + Gumbel) / τ)], and each row's continuous
    /// and discrete KL ([rows, 1] each). Draws the Gaussian noise, then the Gumbel noise.
    public func localLoss(
        _ share: Batch, klWeight: Float?, rng: inout RandomGenerator
    ) -> (local: LossTerms, values: [Variable]) {
        let n = share.count, k = settings.categories
        let h = body(Variable(share.x))
        let (mu, logVar) = (meanHead(h), logVarianceHead(h))
        let eps = Tensor(uninitialized: [n, continuous])
        rng.fillNormal(eps)
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: eps)
        let logQ = categoryHead(h).logSoftmaxRows()
        let gumbel = Tensor(uninitialized: [n, k])
        rng.fillGumbel(gumbel)
        let relaxed = ((logQ + Variable(gumbel)) * (1 / settings.temperature)).logSoftmaxRows().exp()
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: decoder(Variable.concatColumns(z, relaxed)), targets: share.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        // Per row: ½ Σ (μ² + e^lv − lv − 1) and Σ q (log q + log K), as [rows, 1] products with ones.
        let gaussian = ((mu.square() + logVar.exp()) - logVar + -1) * 0.5
        let discrete = logQ.exp() * (logQ + VectorMath.log(Float(k)))
        let continuousKL = Variable.matmul(gaussian, Variable(Tensor(repeating: 1, shape: [continuous, 1])))
        let discreteKL = Variable.matmul(discrete, Variable(Tensor(repeating: 1, shape: [k, 1])))
        return (LossTerms(total: recon, parts: [("reconstruction", recon.value.scalar)]), [continuousKL, discreteKL])
    }

    /// γ·|Σ KL_z − n·C_z(t)| + γ·|Σ KL_c − n·C_c(t)| over the whole batch (n times the gaps of the batch's
    /// mean KLs); a KL warm-up scales γ. Parts: "kl_continuous", "kl_discrete" (the sums), "capacity_gap".
    public func coupledLoss(
        _ values: [Variable], batch: Batch, klWeight: Float?, rng: inout RandomGenerator, threads: Int
    ) -> LossTerms {
        let n = Float(batch.count), (cz, cc) = settings.capacities(epoch: batch.epoch)
        let (kz, kc) = (values[0].sum(), values[1].sum())
        let gap = ((kz + (-n * cz)).abs() + (kc + (-n * cc)).abs()) * (settings.gamma * (klWeight ?? 1))
        return LossTerms(
            total: gap,
            parts: [
                ("kl_continuous", kz.value.scalar), ("kl_discrete", kc.value.scalar),
                ("capacity_gap", gap.value.scalar),
            ])
    }

    /// Draws what `loss` draws: the Gaussian noise, then the Gumbel noise, of a batch of `rows`.
    public func skipNoise(rows: Int, rng: inout RandomGenerator) {
        rng.fillNormal(Tensor(uninitialized: [rows, continuous]))
        for _ in 0..<(rows * settings.categories) { _ = rng.uniform() }
    }

    /// The Gaussian means followed by the class probabilities, [n, latent].
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor {
        let h = body(Variable(x))
        return Variable.concatColumns(meanHead(h), categoryHead(h).logSoftmaxRows().exp()).value
    }

    /// The decoder's logits for codes [z; class probabilities or one-hot].
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { decoder(Variable(z)).value }

    /// Images decoded from z ~ N(0, I) and a uniformly drawn class, one per label (labels ignored).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let n = labels.count, z = Tensor(zeros: [n, config.latent])
        for r in 0..<n {
            rng.fillNormal(z.data + r * config.latent, count: continuous)
            z.data[r * config.latent + continuous + rng.below(settings.categories)] = 1
        }
        return decode(z, labels: labels)
    }
}
