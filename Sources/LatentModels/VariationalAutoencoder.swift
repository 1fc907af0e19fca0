import LatentAutodiff
import LatentNN
import LatentTensor

/// Variational autoencoder (Kingma & Welling 2014), as in pytorch/examples: encoder → (mean, log-variance)
/// → z = mean + exp(logvar/2)·eps → decoder → logits; loss = reconstruction NLL + klWeight · KL(q(z|x) ‖ N(0, I)).
/// With `beta` ≠ 1 it is a β-VAE; as `cvae` a one-hot label joins the encoder's features and the code.
public final class VariationalAutoencoder: ReconstructingModel {
    public let config: ModelConfig
    public let body: EncoderBody
    public let meanHead: Linear, logVarianceHead: Linear
    public let decoder: Decoder
    public let outputLogVariance: Parameter?
    /// Weight of the KL term now: β, or less during warm-up (the trainer sets it every step).
    public var klWeight: Float

    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        let condition = c.isConditional ? c.classes : 0
        body = EncoderBody(c, conditionSize: condition, rng: &rng)
        meanHead = Linear(body.outputSize, c.latent, rng: &rng)
        logVarianceHead = Linear(body.outputSize, c.latent, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent + condition, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
        klWeight = c.beta
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("encoder", body.namedParameters) + prefixed("mean", meanHead.namedParameters)
            + prefixed("logvar", logVarianceHead.namedParameters) + prefixed("decoder", decoder.namedParameters)
            + (outputLogVariance.map { [("output_logvar", $0)] } ?? [])
    }

    func condition(_ labels: [Int]) -> Tensor? {
        config.isConditional ? Tensor.oneHot(labels, classes: config.classes) : nil
    }

    /// q(z|x): mean and log-variance, [n, latent] each.
    public func posterior(_ x: Variable, labels: [Int]) -> (mean: Variable, logVariance: Variable) {
        let h = body(x, condition: condition(labels))
        return (meanHead(h), logVarianceHead(h))
    }

    /// Decoder logits for codes z.
    public func logits(_ z: Variable, labels: [Int]) -> Variable {
        guard let c = condition(labels) else { return decoder(z) }
        return decoder(Variable.concatColumns(z, Variable(c)))
    }

    /// The training objective with given standard-normal noise: the negative ELBO ([n, latent] noise), or for
    /// an IWAE the negative k-sample bound ([n·k, latent] noise).
    public func loss(_ batch: Batch, noise: Tensor) -> LossTerms {
        guard config.kind == .iwae else { return elboTerms(batch, noise: noise) }
        let k = config.importanceSamples ?? 1
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let lv = logVar.repeatRows(k)
        let z = Variable.reparameterize(mean: mu.repeatRows(k), logVariance: lv, noise: noise)
        let rowLabels = batch.labels.flatMap { Array(repeating: $0, count: k) }
        let bound = Variable.negativeImportanceWeightedBound(logits: logits(z, labels: rowLabels), targets: batch.x, z: z,
                                                             noise: noise, logVariance: lv, samples: k)
        return LossTerms(total: bound, parts: [("iwae_bound", bound.value.scalar)])
    }

    /// Negative ELBO terms (reconstruction, KL) with given standard-normal noise [n, latent].
    public func elboTerms(_ batch: Batch, noise: Tensor) -> LossTerms {
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: noise)
        let recon = ReconstructionLoss.negativeLogLikelihood(logits: logits(z, labels: batch.labels), targets: batch.x,
                                                             likelihood: config.likelihood,
                                                             logVariance: logVarianceVariable(config, outputLogVariance))
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        // With free bits the objective's KL term has a floor per dimension; the reported KL stays the true one.
        let klTerm = config.freeBits.map { Variable.gaussianKLFreeBits(mean: mu, logVariance: logVar, lambda: $0) } ?? kl
        let total = klWeight == 1 ? recon + klTerm : recon + klTerm * klWeight
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    public func loss(_ batch: Batch, rng: inout RandomGenerator) -> LossTerms {
        let eps = Tensor(uninitialized: [batch.x.shape[0] * (config.kind == .iwae ? config.importanceSamples ?? 1 : 1), config.latent])
        rng.fillNormal(eps)
        return loss(batch, noise: eps)
    }

    public func encode(_ x: Tensor, labels: [Int]) -> Tensor { posterior(Variable(x), labels: labels).mean.value }

    /// Posterior means and log-variances without a graph.
    public func encodeDistribution(_ x: Tensor, labels: [Int]) -> (mean: Tensor, logVariance: Tensor) {
        let (m, v) = posterior(Variable(x), labels: labels)
        return (m.value, v.value)
    }

    public func decode(_ z: Tensor, labels: [Int]) -> Tensor {
        ReconstructionLoss.mean(logits: logits(Variable(z), labels: labels).value)
    }

    /// Images decoded from z ~ N(0, I), one per label (labels ignored by an unconditional VAE).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let z = Tensor(uninitialized: [labels.count, config.latent])
        rng.fillNormal(z)
        return decode(z, labels: labels)
    }
}
