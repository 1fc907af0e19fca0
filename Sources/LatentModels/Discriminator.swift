import LatentAutodiff
import LatentNN
import LatentTensor

/// The MLP discriminator of the kinds that train one beside their model (FactorVAE, the adversarial AE): `layers`
/// hidden layers of `width` units and the kind's activation, trained by Adam at a rate of its own (`optimizerGroups`).
/// Its parameters are named `0.weight`, `0.bias`, `2.weight`, … as in PyTorch's `nn.Sequential`.
public final class Discriminator: Layer {
    /// The layers.
    public let network: Sequential

    /// A discriminator of `input` → `output` logits with `settings`' size and `activation` between layers.
    public init(
        input: Int, output: Int, settings: DiscriminatorSettings, activation: any Layer, rng: inout RandomGenerator
    ) {
        network = Sequential.mlp(
            input: input, hidden: Array(repeating: settings.width, count: settings.layers), output: output,
            activation: activation, rng: &rng)
    }

    /// The layers, named by position.
    public var namedChildren: [(name: String, module: any Module)] { network.namedChildren }

    /// The logits of a batch.
    public func callAsFunction(_ x: Variable) -> Variable { network(x) }

    /// The logits with the discriminator's parameters as constants (a generator's pass).
    public func frozen(_ x: Variable) -> Variable { network.frozen(x) }

    /// The logits of a batch and, as constants, the activations of hidden layer `depth` (1 … layers) on the way, or
    /// at depth layers + 1 the sigmoid of the logits (a VAE-GAN's features of real pictures).
    public func logitsAndFeatures(_ x: Variable, depth: Int) -> (logits: Variable, features: Tensor) {
        var h = x, features: Tensor?
        for (i, layer) in network.layers.enumerated() {
            h = layer(h)
            if i + 1 == 2 * depth { features = h.value }
        }
        return (h, features ?? h.value.map(.sigmoid))
    }

    /// The activations of hidden layer `depth` (the sigmoid of the logits at depth layers + 1) with the
    /// discriminator's parameters as constants: gradients reach `x` alone.
    public func frozenFeatures(_ x: Variable, depth: Int) -> Variable {
        let layers = network.layers
        let h = layers.prefix(min(2 * depth, layers.count)).reduce(x) { h, layer in layer.frozen(h) }
        return 2 * depth > layers.count ? h.sigmoid() : h
    }

    /// Trainable scalars of a discriminator of `input` → `output` with `settings`.
    public static func parameterCount(input: Int, output: Int, settings: DiscriminatorSettings) -> Double {
        let w = Double(settings.width)
        return (Double(input) + 1) * w + Double(settings.layers - 1) * (w + 1) * w + (w + 1) * Double(output)
    }
}

/// A discriminator's size and optimiser (`Discriminator`; each kind has its defaults).
public struct DiscriminatorSettings: Codable, Equatable, Sendable {
    /// Units per hidden layer.
    public var width: Int
    /// Hidden layers.
    public var layers: Int
    /// Adam's learning rate for the discriminator.
    public var learningRate: Float
    /// Adam's decay rates for the discriminator.
    public var beta1: Float, beta2: Float

    /// A discriminator of `layers` × `width` trained at `learningRate` with decays `beta1`, `beta2`.
    public init(width: Int, layers: Int, learningRate: Float, beta1: Float, beta2: Float) {
        (self.width, self.layers, self.learningRate, self.beta1, self.beta2) = (
            width, layers, learningRate, beta1, beta2
        )
    }

    /// 1 to 8192 units, 1 to 16 layers, a learning rate in (0, 1], decay rates in [0, 1).
    public func validate() throws {
        guard (1...8192).contains(width) else {
            throw LatentError(.model, field: "discriminatorWidth", "expected 1 to 8192 units, got \(width)")
        }
        guard (1...16).contains(layers) else {
            throw LatentError(.model, field: "discriminatorLayers", "expected 1 to 16 hidden layers, got \(layers)")
        }
        guard learningRate > 0, learningRate <= 1, learningRate.isFinite else {
            throw LatentError(
                .model, field: "discriminatorLearningRate", "expected a learning rate in (0, 1], got \(learningRate)")
        }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw LatentError(
                .model, field: "discriminatorBetas", "expected decay rates in [0, 1), got (\(beta1), \(beta2))")
        }
    }

    /// The optimiser group of the discriminator, child `module` of its model.
    public func group(module: String) -> OptimizerGroup {
        OptimizerGroup(module: module, learningRate: learningRate, beta1: beta1, beta2: beta2)
    }
}

extension ModelConfig {
    /// The discriminator of a kind that trains one (nil: the kind's defaults).
    public var discriminator: DiscriminatorSettings? {
        get { setting("discriminator") }
        set { setSetting("discriminator", newValue) }
    }
}
