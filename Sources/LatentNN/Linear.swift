import LatentAutodiff
import LatentTensor

/// Fully connected layer y = x·Wᵀ + b, weight [out, in] as in PyTorch, with PyTorch's default
/// initialisation (weight and bias ~ U(±1/√in)), so loss curves start where PyTorch's do.
public final class Linear: Layer {
    /// Weight [out, in] as in PyTorch.
    public let weight: Parameter
    /// Bias [out], if any.
    public let bias: Parameter?
    /// Input and output widths.
    public let inputSize: Int, outputSize: Int

    /// A layer `inputSize` → `outputSize` with PyTorch's initialisation from `rng`.
    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, rng: inout RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0, "Linear(\(inputSize), \(outputSize)): sizes must be positive")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let bound = 1 / Float(inputSize).squareRoot()
        let w = Tensor(uninitialized: [outputSize, inputSize])
        rng.fillUniform(w, low: -bound, high: bound)
        weight = Parameter(w)
        if bias {
            let b = Tensor(uninitialized: [outputSize])
            rng.fillUniform(b, low: -bound, high: bound)
            self.bias = Parameter(b)
        } else {
            self.bias = nil
        }
    }

    /// Its parameters with PyTorch `state_dict` names.
    public var ownParameters: [(name: String, parameter: Parameter)] {
        var p = [(name: "weight", parameter: weight)]
        if let bias { p.append((name: "bias", parameter: bias)) }
        return p
    }

    /// Applies the layer to a batch.
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(
            x.shape.rank == 2 && x.shape[1] == inputSize, "Linear(\(inputSize), \(outputSize)) got input \(x.shape)")
        return Variable.linear(x, weight: weight.variable, bias: bias?.variable)
    }

    /// Applies the layer with its weight and bias as constants (no gradient reaches them).
    public func frozen(_ x: Variable) -> Variable {
        Variable.linear(x, weight: Variable(weight.value), bias: bias.map { Variable($0.value) })
    }
}
