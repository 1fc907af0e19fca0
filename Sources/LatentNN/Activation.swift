import LatentAutodiff
import LatentTensor

/// The elementwise nonlinearities a network can be built with (`--activation`).
public enum Activation: String, CaseIterable, Codable, Sendable {
    /// max(x, 0).
    case relu
    /// tanh(x).
    case tanh
    /// 1 / (1 + e^−x).
    case sigmoid
    /// x for x > 0, else 0.01·x (PyTorch's default slope).
    case leakyRelu = "leaky-relu"
    /// log(1 + e^x).
    case softplus

    /// The elementwise kernel this activation applies (shared by the graph op and the planned step).
    public var function: UnaryFunction {
        switch self {
        case .relu: .relu
        case .tanh: .tanh
        case .sigmoid: .sigmoid
        case .leakyRelu: .leakyRelu(slope: 0.01)
        case .softplus: .softplus
        }
    }

    /// The activation of a graph value.
    public func callAsFunction(_ x: Variable) -> Variable {
        switch self {
        case .relu: x.relu()
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        case .leakyRelu: x.leakyRelu(slope: 0.01)
        case .softplus: x.softplus()
        }
    }
}

/// An activation as a parameterless layer, for `Sequential`.
public final class ActivationLayer: Layer {
    /// The nonlinearity.
    public let activation: Activation
    /// The layer applying `activation`.
    public init(_ activation: Activation) { self.activation = activation }
    /// Its parameters with PyTorch `state_dict` names.
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable { activation(x) }
}

/// max(x, 0) + slope·min(x, 0) as a layer, with a slope of its own (PyTorch's `nn.LeakyReLU(slope)`).
public final class LeakyReLU: Layer {
    /// The negative side's slope.
    public let slope: Float
    /// The layer of `slope` (PyTorch's default 0.01).
    public init(slope: Float = 0.01) { self.slope = slope }
    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable { x.leakyRelu(slope: slope) }
}
