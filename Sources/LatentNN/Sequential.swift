import LatentAutodiff
import LatentTensor

/// Layers applied in order; children are named by position (`0`, `1`, …) as in PyTorch's `nn.Sequential`.
public final class Sequential: Layer {
    /// The layers, applied in order.
    public let layers: [any Layer]
    /// These layers in order.
    public init(_ layers: [any Layer]) { self.layers = layers }

    /// The parameters with PyTorch `state_dict` names.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        layers.enumerated().flatMap { i, layer in prefixed(String(i), layer.namedParameters) }
    }

    /// The layers' buffers with PyTorch `state_dict` names.
    public var namedBuffers: [(name: String, parameter: Parameter)] {
        layers.enumerated().flatMap { i, layer in prefixed(String(i), layer.namedBuffers) }
    }

    /// The layers.
    public var children: [any Module] { layers }

    /// Switches every layer.
    public func setTraining(_ on: Bool) { for layer in layers { layer.setTraining(on) } }

    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable {
        layers.reduce(x) { h, layer in layer(h) }
    }
}

extension Sequential {
    /// An MLP: Linear → activation for each hidden size, then a final Linear to `output` (no activation).
    public static func mlp(
        input: Int, hidden: [Int], output: Int, activation: Activation,
        rng: inout RandomGenerator
    ) -> Sequential {
        var layers: [any Layer] = []
        var width = input
        for h in hidden {
            layers.append(Linear(width, h, rng: &rng))
            layers.append(ActivationLayer(activation))
            width = h
        }
        layers.append(Linear(width, output, rng: &rng))
        return Sequential(layers)
    }
}
