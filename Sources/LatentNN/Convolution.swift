import LatentAutodiff
import LatentTensor

/// 2-D convolution layer over NHWC activations; weight [out, in, k, k] and init as PyTorch's Conv2d
/// (U(±1/√(in·k²)) for weight and bias).
public final class Conv2D: Layer {
    /// Weight and bias, in PyTorch's layout.
    public let weight: Parameter, bias: Parameter
    /// Stride and zero padding.
    public let stride: Int, padding: Int

    /// A layer with PyTorch's initialisation drawn from `rng`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        rng: inout RandomGenerator
    ) {
        let bound = 1 / Float(inChannels * kernel * kernel).squareRoot()
        let w = Tensor(uninitialized: [outChannels, inChannels, kernel, kernel]),
            b = Tensor(uninitialized: [outChannels])
        rng.fillUniform(w, low: -bound, high: bound)
        rng.fillUniform(b, low: -bound, high: bound)
        weight = Parameter(w)
        bias = Parameter(b)
        self.stride = stride
        self.padding = padding
    }

    /// Its parameters with PyTorch `state_dict` names.
    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable {
        Variable.conv2d(x, weight: weight.variable, bias: bias.variable, stride: stride, padding: padding)
    }
}

/// 2-D transposed convolution layer over NHWC activations; weight [in, out, k, k] and init as PyTorch's
/// ConvTranspose2d (its fan-in is out·k²).
public final class ConvTranspose2D: Layer {
    /// Weight and bias, in PyTorch's layout.
    public let weight: Parameter, bias: Parameter
    /// Stride, padding and the extra output rows and columns.
    public let stride: Int, padding: Int, outputPadding: Int

    /// A layer with PyTorch's initialisation drawn from `rng`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, rng: inout RandomGenerator
    ) {
        let bound = 1 / Float(outChannels * kernel * kernel).squareRoot()
        let w = Tensor(uninitialized: [inChannels, outChannels, kernel, kernel]),
            b = Tensor(uninitialized: [outChannels])
        rng.fillUniform(w, low: -bound, high: bound)
        rng.fillUniform(b, low: -bound, high: bound)
        weight = Parameter(w)
        bias = Parameter(b)
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// Its parameters with PyTorch `state_dict` names.
    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable {
        Variable.convTranspose2d(
            x, weight: weight.variable, bias: bias.variable, stride: stride, padding: padding,
            outputPadding: outputPadding)
    }
}

/// Reshapes each example: [B, …] → [B, shape…] (flattening images for a Linear layer, and back).
public final class Reshape: Layer {
    /// Each example's new shape.
    public let shape: [Int]
    /// Reshapes each example to `shape`.
    public init(_ shape: [Int]) { self.shape = shape }
    /// Its parameters with PyTorch `state_dict` names.
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable { x.reshaped(Shape([x.shape[0]] + shape)) }
}
