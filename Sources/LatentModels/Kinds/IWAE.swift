import LatentAutodiff
import LatentTensor

/// The importance-weighted autoencoder (Burda et al. 2015): the VAE's networks trained on the k-sample bound.
public enum IWAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// Its importance samples per image, under "importanceSamples", and the DReG switch, under
    /// "doublyReparameterised".
    public static let settingKeys = ["importanceSamples", "doublyReparameterised"]

    /// An `ImportanceWeightedAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        ImportanceWeightedAutoencoder(config, rng: &rng)
    }

    /// 1…5000 samples, a Bernoulli likelihood, no free bits; DReG only where images do not meet in the decoder
    /// (its batch-normalised `deepconv` body shares statistics across a batch).
    public static func validate(_ c: ModelConfig) throws { try ImportanceWeightedBound.validate(c) }

    /// k samples per image.
    public static func samplesPerExample(_ c: ModelConfig) -> Int { c.importanceSamples ?? 1 }
    /// The importance samples.
    public static let samplesSetting: String? = "importanceSamples"
}

extension ModelConfig {
    /// MIWAE's m: groups of `importanceSamples` per image, each its own bound, averaged; nil: one group.
    public var importanceGroups: Int? {
        get { setting("importanceGroups") }
        set { setSetting("importanceGroups", newValue) }
    }

    /// CIWAE's β: the training objective is β·ELBO + (1 − β)·(k-sample bound); nil: 0.
    public var elboWeight: Float? {
        get { setting("elboWeight") }
        set { setSetting("elboWeight", newValue) }
    }

    /// The IWAE's encoder trained on the doubly-reparameterised gradient (DReG, Tucker et al. 2019); nil: the
    /// bound's own gradient.
    public var doublyReparameterised: Bool? {
        get { setting("doublyReparameterised") }
        set { setSetting("doublyReparameterised", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on the negative k-sample importance-weighted bound (or MIWAE's mean of m
/// such bounds, or CIWAE's mix of it with the ELBO).
public final class ImportanceWeightedAutoencoder: VariationalAutoencoder, MeasuredModel {
    /// Importance samples per bound (read from the configuration once).
    public let samples: Int
    /// Bounds per image, averaged (MIWAE's m; 1 otherwise).
    public let groups: Int
    /// The ELBO's weight β in the objective (CIWAE; 0 otherwise).
    public let elboWeight: Float
    /// The encoder's gradient is DReG's (Tucker et al. 2019), not the bound's.
    public let doublyReparameterised: Bool

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        samples = c.importanceSamples ?? 1
        groups = c.importanceGroups ?? 1
        elboWeight = c.elboWeight ?? 0
        doublyReparameterised = c.doublyReparameterised ?? false
        super.init(c, rng: &rng)
    }

    /// m·k noise samples per image.
    public override var noiseSamples: Int { groups * samples }

    /// The negative k-sample bound (MIWAE: the mean of m; CIWAE: mixed with the ELBO) with given standard-normal
    /// noise [n·m·k, latent]; β does not apply. With DReG the value is the same and only the encoder's gradient
    /// differs.
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let k = samples, rowsPerImage = groups * samples
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let lv = logVar.repeatRows(rowsPerImage)
        let z = Variable.reparameterize(mean: mu.repeatRows(rowsPerImage), logVariance: lv, noise: noise)
        let rowLabels = batch.labels.flatMap { Array(repeating: $0, count: rowsPerImage) }
        let weights = doublyReparameterised ? RowGradientScales() : nil
        let decoderInput = weights.map { z.scalingRowGradients(by: $0) } ?? z
        let bound = Variable.negativeImportanceWeightedBound(
            logits: logits(decoderInput, labels: rowLabels), targets: batch.x, z: z, noise: noise, logVariance: lv,
            samples: k, groups: groups, elboWeight: elboWeight, doublyReparameterised: weights)
        return LossTerms(total: bound, parts: [(config.kind.rawValue + "_bound", bound.value.scalar)])
    }

    /// elbo: the ELBO of the same networks (one sample, analytic KL) beside the k-sample bound, with noise from
    /// `seed`'s evaluation stream.
    public func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)] {
        var rng = RandomGenerator(seed: seed, stream: .evaluation)
        var total = 0.0
        forEachBatch { batch in
            let eps = Tensor(uninitialized: [batch.x.shape[0], config.latent])
            rng.fillNormal(eps)
            total += Double(elboTerms(batch, noise: eps).total.value.scalar)
        }
        return [("elbo", -total / Double(count))]
    }
}
