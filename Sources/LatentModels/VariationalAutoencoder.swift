import LatentAutodiff
import LatentNN
import LatentTensor

/// Variational autoencoder (Kingma & Welling 2014), as in pytorch/examples: encoder → (mean, log-variance)
/// → z = mean + exp(logvar/2)·eps → decoder → logits;
/// loss = reconstruction NLL + klWeight · KL(q(z|x) ‖ N(0, I)).
/// With `beta` ≠ 1 it is a β-VAE; for a conditional kind a one-hot label joins the encoder's features and the
/// code. Subclasses may train the same networks on another bound (`loss(_:noise:klWeight:)`, `noiseSamples`).
public class VariationalAutoencoder: GenerativeModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// Encoder layers up to the heads.
    public let body: EncoderBody
    /// The posterior's mean head.
    public let meanHead: Linear
    /// The posterior's log-variance head.
    public let logVarianceHead: Linear
    /// Code (+ label) → logits.
    public let decoder: Decoder
    /// The Gaussian likelihood's learned log-variance, if learned.
    public let outputLogVariance: Parameter?

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        let condition = c.isConditional ? c.classes : 0
        body = EncoderBody(c, conditionSize: condition, rng: &rng)
        meanHead = Linear(body.outputSize, c.latent, rng: &rng)
        logVarianceHead = Linear(body.outputSize, c.latent, rng: &rng)
        decoder = Decoder(c, inputSize: c.latent + condition, rng: &rng)
        outputLogVariance = makeOutputLogVariance(c)
    }

    /// The networks the model is made of, named as in PyTorch's `state_dict`.
    public var namedChildren: [(name: String, module: any Module)] {
        [("encoder", body), ("mean", meanHead), ("logvar", logVarianceHead), ("decoder", decoder)]
    }

    /// The Gaussian likelihood's learned log-variance, if learned.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        outputLogVariance.map { [("output_logvar", $0)] } ?? []
    }

    func condition(_ labels: [Int]) -> Tensor? {
        config.isConditional ? Tensor.oneHot(labels, classes: config.classes) : nil
    }

    /// q(z|x): mean and log-variance, [n, latent] each.
    public func posterior(_ x: Variable, labels: [Int] = []) -> (mean: Variable, logVariance: Variable) {
        let h = body(x, condition: condition(labels))
        return (meanHead(h), logVarianceHead(h))
    }

    /// Decoder logits for codes z.
    public func logits(_ z: Variable, labels: [Int] = []) -> Variable {
        guard let c = condition(labels) else { return decoder(z) }
        return decoder(Variable.concatColumns(z, Variable(c)))
    }

    /// The training objective with given standard-normal noise ([n · noiseSamples, latent]): the negative ELBO
    /// (a subclass may train on another bound). `klWeight` nil is β.
    public func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        elboTerms(batch, noise: noise, klWeight: klWeight)
    }

    /// Noise samples per example the training objective draws (1: the ELBO's one).
    public var noiseSamples: Int { 1 }

    /// What `forward` computes.
    public typealias ForwardPass = (mean: Variable, logVariance: Variable, z: Variable, reconstruction: Variable)

    /// The forward pass of a batch with given standard-normal noise [n, latent]: the posterior's means and
    /// log-variances, the codes drawn from it, and the reconstruction's negative log-likelihood (summed).
    public func forward(_ batch: Batch, noise: Tensor) -> ForwardPass {
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: noise)
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: logits(z, labels: batch.labels), targets: batch.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        return (mu, logVar, z, recon)
    }

    /// Negative ELBO terms (reconstruction, KL) with given standard-normal noise [n, latent]; the total weighs
    /// the KL by `klWeight` (nil: β).
    public func elboTerms(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let weight = klWeight ?? config.beta
        let (mu, logVar, _, recon) = forward(batch, noise: noise)
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        // With free bits the objective's KL term has a floor per dimension; the reported KL stays the true one.
        let klTerm =
            config.freeBits.map { Variable.gaussianKLFreeBits(mean: mu, logVariance: logVar, lambda: $0) } ?? kl
        let total = weight == 1 ? recon + klTerm : recon + klTerm * weight
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// The training objective on `batch`, summed over its examples.
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        loss(batch, noise: noise(rows: batch.x.shape[0], rng: &rng), klWeight: klWeight)
    }

    /// The reparameterisation noise of a batch of `rows` (`noiseSamples` each).
    func noise(rows: Int, rng: inout RandomGenerator) -> Tensor {
        let eps = Tensor(uninitialized: [rows * noiseSamples, config.latent])
        rng.fillNormal(eps)
        return eps
    }

    /// Σ log q(z|x) over a batch's draws z = μ + σε, without the log 2π terms: −½ Σ (logvar + ε²). Its total
    /// derivative reaches the log-variance only (μ moves z along with the density); for the one-draw KL estimates of
    /// kinds whose KL is not analytic.
    func sampledLogPosterior(logVariance: Variable, noise: Tensor) -> Variable {
        var epsSquared = 0.0
        for i in 0..<noise.count { epsSquared += Double(noise.data[i] * noise.data[i]) }
        return logVariance.sum() * -0.5 + Float(-0.5 * epsSquared)
    }

    /// Draws the noise `loss` would.
    public func skipNoise(rows: Int, rng: inout RandomGenerator) { _ = noise(rows: rows, rng: &rng) }

    /// The code of each row of `x` (a VAE: the posterior mean).
    public func encode(_ x: Tensor, labels: [Int]) -> Tensor { posterior(Variable(x), labels: labels).mean.value }

    /// Posterior means and log-variances without a graph.
    public func encodeDistribution(_ x: Tensor, labels: [Int] = []) -> (mean: Tensor, logVariance: Tensor) {
        let (m, v) = posterior(Variable(x), labels: labels)
        return (m.value, v.value)
    }

    /// The decoder's logits for codes `z`.
    public func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor { logits(Variable(z), labels: labels).value }

    /// Images decoded from z ~ N(0, I), one per label (labels ignored by an unconditional VAE).
    public func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        decodeStandardNormal(labels: labels, rng: &rng)
    }

    /// log p(z) − log N(z; 0, I) for each row of `z` (without the log 2π terms), for a prior other than N(0, I),
    /// or an unbiased estimate of p(z)'s ratio drawn with `rng` (a second stochastic layer); nil: the prior is
    /// N(0, I).
    public func priorLogDensityRatio(_ z: Tensor, rng: inout RandomGenerator) -> [Double]? { nil }

    /// Posterior draws [rows, latent] carried through the posterior's flows, with log q(z_K|x) − log q(z₀|x) per
    /// row; nil: the draws are the codes (no flows).
    public func transformDraws(_ z: Tensor) -> (z: Tensor, logDensityChange: [Double])? { nil }

    /// The ELBO's KL is the analytic one of a Gaussian posterior to N(0, I) (anomaly scores that assume it apply);
    /// false for a learned prior or posterior flows.
    public var hasAnalyticKL: Bool { true }

    /// The planned step (see `PlannedNetwork`), where the configuration has one.
    public func plannedStep(parameters: ParameterSet, gradients: Tensor, rows: Int) -> (any PlannedStep)? {
        PlannedNetwork(self, parameters: parameters, gradients: gradients, rows: rows)
    }
}
