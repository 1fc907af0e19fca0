import LatentNN
import LatentTensor

/// One dense layer of a plan: where its weights and gradients live, and its activation buffers.
struct PlannedLayer {
    let inputs: Int, outputs: Int
    let weight: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>
    let activation: Activation?
    /// Output after the activation, [rows, outputs].
    let output: Tensor
    /// Input of the activation, kept only where the derivative needs it (leaky ReLU, softplus).
    let preActivation: Tensor?
    /// d loss / d output, turned in place into d loss / d pre-activation by `backward`.
    let outputGrad: Tensor
    /// d loss / d input transposed, [inputs, rows], for layers that pass a gradient down through a small product
    /// (`smallProduct`); larger ones write d loss / d input directly.
    let inputGradTransposed: Tensor?

    init(
        _ linear: Linear, activation: Activation?, weightGrad: UnsafeMutablePointer<Float>,
        biasGrad: UnsafeMutablePointer<Float>, rows: Int, passesGradientDown: Bool
    ) {
        inputs = linear.inputSize
        outputs = linear.outputSize
        weight = UnsafePointer(linear.weight.value.data)
        bias = UnsafePointer(linear.bias!.value.data)
        self.weightGrad = weightGrad
        self.biasGrad = biasGrad
        self.activation = activation
        let shape: Shape = [max(rows, 1), outputs]
        output = Tensor(uninitialized: shape)
        preActivation = activation == .softplus || activation == .leakyRelu ? Tensor(uninitialized: shape) : nil
        outputGrad = Tensor(uninitialized: shape)
        inputGradTransposed =
            passesGradientDown && max(rows, 1) * inputs * outputs <= Self.smallProduct
            ? Tensor(uninitialized: [inputs, max(rows, 1)]) : nil
    }

    /// Products of up to this many multiply-adds (m·n·k) may go to OpenBLAS's small-matrix kernels (its
    /// Skylake-X and Cooper Lake ones take up to 100³), whose untransposed one calls malloc every time.
    static let smallProduct = 2_000_000

    /// output = f(x·Wᵀ + b): the bias rows are GEMM's initial C.
    func forward(_ x: UnsafePointer<Float>, rows: Int) {
        let y = preActivation?.data ?? output.data
        for r in 0..<rows { (y + r * outputs).update(from: bias, count: outputs) }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, x, lda: inputs, weight, ldb: inputs,
            beta: 1, y, ldc: outputs)
        guard let activation else { return }
        activation.function.apply(y, output.data, rows * outputs)
    }

    /// From d loss / d output: the weight and bias gradients (overwritten), and d loss / d input into
    /// `inputGrad` (added to it if `accumulate`).
    func backward(
        _ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?, accumulate: Bool = false
    ) {
        passDown(x, rows: rows, inputGrad: inputGrad, accumulate: accumulate)
        BLAS.gemm(
            transposeA: true, transposeB: false, m: outputs, n: inputs, k: rows, outputGrad.data, lda: outputs, x,
            ldb: inputs, beta: 0, weightGrad, ldc: inputs)
        sumRows(outputGrad.data, rows: max(rows, 1), columns: outputs, into: biasGrad)
    }

    /// The part of `backward` that needs no other rows than these: d loss / d output turned into d loss /
    /// d pre-activation (in place), and d loss / d input into `inputGrad` (added to it if `accumulate`).
    func passDown(
        _ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?, accumulate: Bool = false
    ) {
        let g = outputGrad.data, n = rows * outputs
        if let activation {
            let y = output.data
            activation.function.chainDerivative(g, input: preActivation?.data ?? y, output: y, into: g, n)
        }
        guard let inputGrad else { return }
        guard let t = inputGradTransposed?.data else {
            // d input = g·W (a large product: no small-matrix kernel).
            BLAS.gemm(
                transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs, g, lda: outputs, weight,
                ldb: inputs, beta: accumulate ? 1 : 0, inputGrad, ldc: inputs)
            return
        }
        // A small product: d input = g·W, computed transposed (Wᵀ·gᵀ, both operands read transposed) and
        // transposed back, as OpenBLAS's small-matrix kernel for the untransposed product calls malloc every time.
        BLAS.gemm(
            transposeA: true, transposeB: true, m: inputs, n: rows, k: outputs, weight, lda: inputs, g,
            ldb: outputs, beta: 0, t, ldc: rows)
        VectorMath.transpose(t, rows: inputs, columns: rows, into: inputGrad, accumulate: accumulate)
    }
}
