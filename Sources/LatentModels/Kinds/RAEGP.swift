import LatentAutodiff
import LatentNN
import LatentTensor

/// The regularised autoencoder with a gradient penalty (Ghosh et al. 2020; Pythae's `RAE_GP`): a deterministic
/// encoder, the squared error of the decoder's mean Σ (x̂ − x)², β·½|z|² on the codes, and the penalty
/// λ·|∇ₓ Σ x̂|²: the gradient of the summed output with respect to the input, through encoder and decoder, as
/// Pythae computes it (the paper takes it with respect to z). The gradient is built as graph operations (the
/// network's Jacobian transposed applied to σ'(logits), layer by layer), so differentiating the loss
/// differentiates through it: a second-order term, written out for MLP bodies. Sampled through the GMM
/// (`latent sample --prior gmm`).
public enum RAEGP: ModelFamilyMember {
    /// Encodes and decodes; it has no prior of its own.
    public static let capabilities: ModelCapabilities = [.reconstruct]
    /// β under "embeddingWeight", λ under "gradientPenalty".
    public static let settingKeys = ["embeddingWeight", "gradientPenalty"]
    /// Pythae's β and λ.
    public static let defaults: (embedding: Float, penalty: Float) = (1e-4, 1e-7)

    /// A `GradientPenaltyAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        GradientPenaltyAutoencoder(config, rng: &rng)
    }

    /// 0 ≤ β, λ ≤ 1000; an MLP body; the decoder's mean is the sigmoid of its logits.
    public static func validate(_ c: ModelConfig) throws {
        let weights = [
            ("embeddingWeight", c.embeddingWeight ?? defaults.embedding),
            ("gradientPenalty", c.gradientPenalty ?? defaults.penalty),
        ]
        for (name, value) in weights {
            guard value >= 0, value <= 1000, value.isFinite else {
                throw LatentError(.model, field: name, "expected a weight in [0, 1000], got \(value)")
            }
        }
        guard c.arch == .mlp else {
            throw LatentError(.model, field: "arch", "a raegp's gradient penalty is written out for mlp bodies")
        }
        guard c.likelihood == .bernoulli else {
            throw LatentError(
                .model, field: "likelihood",
                "a raegp's reconstruction term is its own (the squared error of the sigmoid mean): keep bernoulli")
        }
    }
}

extension ModelConfig {
    /// RAE-GP's weight λ of ‖∇ₓ Σ x̂‖² (nil: `RAEGP.defaults`).
    public var gradientPenalty: Float? {
        get { setting("gradientPenalty") }
        set { setSetting("gradientPenalty", newValue) }
    }
}

/// An `Autoencoder` trained on Σ (sigmoid(logits) − x)² + β·½|z|² + λ·|∇ₓ Σ sigmoid(logits)|² per
/// example.
public final class GradientPenaltyAutoencoder: Autoencoder {
    /// β and λ (read from the configuration once).
    public let embeddingWeight: Float, penaltyWeight: Float

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        embeddingWeight = c.embeddingWeight ?? RAEGP.defaults.embedding
        penaltyWeight = c.gradientPenalty ?? RAEGP.defaults.penalty
        super.init(c, lastActivation: nil, rng: &rng)
    }

    /// One step of the forward pass: a linear layer (its weight) or an activation (its input and output).
    private enum Step {
        case linear(Variable)
        case activation(Activation, input: Variable, output: Variable)
    }

    /// Runs `layers` on `h`, recording each step for the gradient.
    private func run(_ layers: Sequential, _ h: Variable, _ steps: inout [Step]) -> Variable {
        var h = h
        for layer in layers.layers {
            if let linear = layer as? Linear {
                h = linear(h)
                steps.append(.linear(linear.weight.variable))
            } else if let a = layer as? ActivationLayer {
                let out = a(h)
                steps.append(.activation(a.activation, input: h, output: out))
                h = out
            } else {
                preconditionFailure("RAE-GP: an MLP of Linear and activation layers, got \(type(of: layer))")
            }
        }
        return h
    }

    /// The objective on `batch`, summed over its examples: parts "reconstruction", "embedding" (β·½Σ‖z‖²) and
    /// "gradient_penalty" (λ·Σ‖∇ₓ Σ x̂‖²).
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        var steps: [Step] = []
        let x = Variable(batch.x)
        var h = run(body.dense, x, &steps)
        h = codeLayer(h)
        steps.append(.linear(codeLayer.weight.variable))
        let embedding = h.square().sum() * (0.5 * embeddingWeight)
        let logits = run(decoder.dense, h, &steps)
        let error = Variable.sigmoidSquaredError(logits: logits, targets: batch.x)
        // ∇ₓ Σ sigmoid(logits): start from σ' = s(1 − s) and apply each step's transposed Jacobian, last first.
        let s = logits.sigmoid()
        var v = s * ((s * -1) + 1)
        for step in steps.reversed() {
            switch step {
            case .linear(let weight): v = Variable.matmul(v, weight)
            case .activation(let a, let input, let output): v = v * derivative(a, input: input, output: output)
            }
        }
        let penalty = v.square().sum() * penaltyWeight
        return LossTerms(
            total: error + embedding + penalty,
            parts: [
                ("reconstruction", error.value.scalar), ("embedding", embedding.value.scalar),
                ("gradient_penalty", penalty.value.scalar),
            ])
    }

    /// The activation's derivative at `input` as a graph value (piecewise-linear ones as constant masks).
    private func derivative(_ a: Activation, input: Variable, output: Variable) -> Variable {
        switch a {
        case .relu, .leakyRelu:
            let slope: Float = a == .relu ? 0 : 0.01
            let mask = Tensor(uninitialized: input.shape)
            for i in 0..<mask.count { mask.data[i] = input.value.data[i] > 0 ? 1 : slope }
            return Variable(mask)
        case .tanh: return (output.square() * -1) + 1
        case .sigmoid: return output * ((output * -1) + 1)
        case .softplus: return input.sigmoid()
        }
    }
}
