import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// The VampPrior VAE (Tomczak & Welling 2018; Pythae's `VAMP`): the VAE's networks with a learned prior, the
/// equal-weight mixture of the posteriors of C pseudo-inputs, p(z) = (1/C) Σ_c q(z | u_c). The pseudo-inputs are
/// Pythae's, hardtanh₀¹ of a linear layer C → D applied to the identity ("pseudo_inputs.0"); the KL term is the
/// one-sample estimate log q(z|x) − log p(z).
public enum VAMP: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// C under "pseudoInputs".
    public static let settingKeys = ["pseudoInputs"]

    /// A `VampPriorAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        VampPriorAutoencoder(config, rng: &rng)
    }

    /// 1 … 5000 pseudo-inputs; not the batch-normalised `deepconv` body (its statistics would mix pseudo-inputs and
    /// images); no free bits.
    public static func validate(_ c: ModelConfig) throws {
        guard let k = c.pseudoInputs, (1...5000).contains(k) else {
            throw LatentError(.model, field: "pseudoInputs", "expected 1…5000 pseudo-inputs for a vamp")
        }
        if c.arch == .deepconv {
            throw LatentError(
                .model, field: "arch",
                "a vamp encodes its pseudo-inputs apart from the images: mlp or conv, not deepconv")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The pseudo-inputs' layer: C·D weights and D biases.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        Double((c.pseudoInputs ?? 500) + 1) * Double(c.inputSize)
    }
}

extension ModelConfig {
    /// The VampPrior's number C of pseudo-inputs.
    public var pseudoInputs: Int? {
        get { setting("pseudoInputs") }
        set { setSetting("pseudoInputs", newValue) }
    }
}

/// A `VariationalAutoencoder` whose prior is the VampPrior: C learned pseudo-inputs, each encoded to a Gaussian.
public final class VampPriorAutoencoder: VariationalAutoencoder {
    /// Linear(C → D) whose columns, plus the bias and clamped to [0, 1], are the pseudo-inputs.
    public let pseudoInputLayer: Linear

    /// A new model of configuration `c`, initialised as PyTorch initialises Pythae's.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        pseudoInputLayer = Linear(c.pseudoInputs ?? 500, c.inputSize, rng: &rng)
        super.init(c, rng: &rng)
    }

    /// The VAE's networks and the pseudo-inputs' layer ("pseudo_inputs.0", as Pythae's `state_dict` names it).
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + [("pseudo_inputs.0", pseudoInputLayer)]
    }

    /// The pseudo-inputs [C, D].
    public func pseudoInputs() -> Variable {
        Variable.pseudoInputs(weight: pseudoInputLayer.weight.variable, bias: pseudoInputLayer.bias!.variable)
    }

    /// The prior's components: the posterior means and log-variances of the pseudo-inputs [C, latent].
    public func priorComponents() -> (mean: Variable, logVariance: Variable) { posterior(pseudoInputs()) }

    /// Reconstruction + weight·(log q(z|x) − log p(z)) with one draw z per image ([n, latent] noise), log p the
    /// VampPrior's; "kl" reports the estimate.
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let weight = klWeight ?? config.beta
        let (_, logVar, z, recon) = forward(batch, noise: noise)
        // log q(z|x) = −½ Σ (logvar + ε²) with z = μ + σε; its total derivative reaches logvar only.
        var epsSquared = 0.0
        for i in 0..<noise.count { epsSquared += Double(noise.data[i] * noise.data[i]) }
        let logQ = logVar.sum() * -0.5 + Float(-0.5 * epsSquared)
        let (priorMean, priorLogVar) = priorComponents()
        let logP = Variable.logMixtureDensity(z, means: priorMean, logVariances: priorLogVar)
        let kl = logQ - logP
        let total = weight == 1 ? recon + kl : recon + kl * weight
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// log p(z) − log N(z; 0, I) for each row of `z`, so that importance sampling weighs by the VampPrior.
    public override func priorLogDensityRatio(_ z: Tensor, rng: inout RandomGenerator) -> [Double]? {
        let (m, v) = priorComponents()
        let (_, values) = MixtureParts(means: m.value, logVariances: v.value).responsibilities(z)
        let d = z.shape[1]
        return values.enumerated().map { r, value in
            var s = 0.0
            for j in 0..<d { s += Double(z.data[r * d + j] * z.data[r * d + j]) }
            return value + 0.5 * s
        }
    }

    /// Images decoded from the VampPrior: for each, a pseudo-input's posterior drawn uniformly, then z from it.
    public override func sample(labels: [Int], rng: inout RandomGenerator) -> Tensor {
        let (m, v) = priorComponents()
        let c = m.shape[0], d = config.latent
        let z = Tensor(uninitialized: [labels.count, d])
        for r in 0..<labels.count {
            let k = rng.below(c)
            for j in 0..<d {
                let i = k * d + j
                z.data[r * d + j] = m.value.data[i] + Foundation.exp(0.5 * v.value.data[i]) * rng.normal()
            }
        }
        return decode(z, labels: labels)
    }

    /// The KL is the mixture prior's estimate, not the analytic Gaussian one.
    public override var hasAnalyticKL: Bool { false }
}
