import LatentAutodiff
import LatentTensor

/// Layers applied in order; children are named by position (`0`, `1`, …) as in PyTorch's `nn.Sequential`.
public final class Sequential: Layer {
    /// The layers, applied in order.
    public let layers: [any Layer]
    /// These layers in order.
    public init(_ layers: [any Layer]) { self.layers = layers }

    /// The layers, named by position.
    public var namedChildren: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable {
        layers.reduce(x) { h, layer in layer(h) }
    }

    /// Applies every layer with its parameters as constants.
    public func frozen(_ x: Variable) -> Variable {
        layers.reduce(x) { h, layer in layer.frozen(h) }
    }
}

extension Sequential {
    /// An MLP: Linear → activation for each hidden size, then a final Linear to `output` (no activation).
    public static func mlp(
        input: Int, hidden: [Int], output: Int, activation: Activation,
        rng: inout RandomGenerator
    ) -> Sequential {
        mlp(input: input, hidden: hidden, output: output, activation: ActivationLayer(activation), rng: &rng)
    }

    /// An MLP with a given parameterless activation layer (shared: it holds no state).
    public static func mlp(
        input: Int, hidden: [Int], output: Int, activation: any Layer, rng: inout RandomGenerator
    ) -> Sequential {
        var layers: [any Layer] = []
        var width = input
        for h in hidden {
            layers.append(Linear(width, h, rng: &rng))
            layers.append(activation)
            width = h
        }
        layers.append(Linear(width, output, rng: &rng))
        return Sequential(layers)
    }
}
