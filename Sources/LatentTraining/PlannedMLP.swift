import LatentModels
import LatentNN
import LatentTensor

/// The training step of an MLP autoencoder or VAE, planned once (llm.c's way) instead of recorded as a
/// graph every step: every activation and gradient buffer is allocated when the plan is made, forward and
/// backward are written out layer by layer on slices of those buffers, and a step allocates nothing.
///
/// It computes what the graph engine (`model.loss` then `backward()`) computes, from the same noise
/// draws; the graph engine stays the reference and the tests hold the two to float rounding of each other.
/// Plans cover the common case, `--arch mlp` AE and VAE with the Bernoulli likelihood and no extras
/// (no corruption, sparsity, condition, free bits or importance samples); everything else trains on the graph.
final class PlannedMLP {
    /// Why a configuration has no plan, or nil if it has one.
    static func unsupportedReason(_ c: ModelConfig) -> String? {
        guard c.kind == .ae || c.kind == .vae else { return "--model \(c.kind.rawValue) (plans cover ae and vae)" }
        guard c.arch == .mlp else { return "--arch \(c.arch.rawValue) (plans cover mlp)" }
        guard c.likelihood == .bernoulli else { return "--likelihood \(c.likelihood.rawValue) (plans cover bernoulli)" }
        guard c.noise == nil, c.sparsity == nil, c.freeBits == nil, c.importanceSamples == nil else {
            return "corruption, sparsity, free bits or importance samples"
        }
        return nil
    }

    let config: ModelConfig
    /// Encoder layers (for the AE, ending with the code layer).
    let encoder: [PlannedLayer]
    /// The VAE's mean and log-variance heads, reading the encoder's output.
    let heads: (mean: PlannedLayer, logVariance: PlannedLayer)?
    /// Decoder layers, the last one producing logits.
    let decoder: [PlannedLayer]
    /// Row capacity of every buffer.
    let capacity: Int
    /// VAE buffers [capacity, latent]: noise, std·noise, posterior variance, code z, its gradient.
    let eps: Tensor, stdEps: Tensor, variance: Tensor, z: Tensor, zGrad: Tensor
    /// Scratch [capacity, inputSize] for the reconstruction loss's terms.
    let scratch: Tensor
    /// The gradient buffer the plan writes (every element of it, each step).
    let gradients: Tensor

    /// A plan for up to `rows` rows of `model`, reading weights from `parameters.values` and writing
    /// gradients into `gradients` (laid out like `parameters.grads`). Nil if the model has no plan.
    init?(_ model: any TrainableModel, parameters: ParameterSet, gradients: Tensor, rows: Int) {
        let c = model.config
        guard PlannedMLP.unsupportedReason(c) == nil else { return nil }
        var offsets: [ObjectIdentifier: Int] = [:]
        var offset = 0
        for (_, p) in parameters.named { offsets[ObjectIdentifier(p)] = offset; offset += p.value.count }
        func layer(_ linear: Linear, _ activation: Activation?, passesGradientDown: Bool) -> PlannedLayer? {
            guard let bias = linear.bias, let w = offsets[ObjectIdentifier(linear.weight)],
                  let b = offsets[ObjectIdentifier(bias)] else { return nil }
            return PlannedLayer(linear, activation: activation, weightGrad: gradients.data + w, biasGrad: gradients.data + b,
                                rows: rows, passesGradientDown: passesGradientDown)
        }
        // The network's first layer reads the data: no gradient goes below it.
        func chain(_ s: Sequential, readsData: Bool) -> [PlannedLayer]? {
            var out: [PlannedLayer] = []
            var i = 0
            while i < s.layers.count {
                guard let linear = s.layers[i] as? Linear else { return nil }
                let activation = (i + 1 < s.layers.count ? s.layers[i + 1] as? ActivationLayer : nil)?.activation
                guard let l = layer(linear, activation, passesGradientDown: !(readsData && i == 0)) else { return nil }
                out.append(l)
                i += activation == nil ? 1 : 2
            }
            return out
        }
        if let vae = model as? VariationalAutoencoder {
            let deep = !vae.body.dense.layers.isEmpty
            guard vae.body.features.layers.isEmpty, let e = chain(vae.body.dense, readsData: true),
                  let d = chain(vae.decoder.dense, readsData: false),
                  let m = layer(vae.meanHead, nil, passesGradientDown: deep),
                  let v = layer(vae.logVarianceHead, nil, passesGradientDown: deep) else { return nil }
            (encoder, heads, decoder) = (e, (m, v), d)
        } else if let ae = model as? Autoencoder {
            guard ae.body.features.layers.isEmpty, let e = chain(ae.body.dense, readsData: true),
                  let code = layer(ae.codeLayer, nil, passesGradientDown: !e.isEmpty),
                  let d = chain(ae.decoder.dense, readsData: false) else { return nil }
            (encoder, heads, decoder) = (e + [code], nil, d)
        } else {
            return nil
        }
        // Every parameter must be some layer's, or part of the gradient would be left stale.
        let covered = (encoder + decoder + (heads.map { [$0.mean, $0.logVariance] } ?? [])).reduce(0) { $0 + ($1.inputs + 1) * $1.outputs }
        guard covered == parameters.count, gradients.count == parameters.count else { return nil }
        config = c
        capacity = rows
        let codeShape: Shape = [max(rows, 1), c.latent]
        eps = Tensor(uninitialized: codeShape); stdEps = Tensor(uninitialized: codeShape); variance = Tensor(uninitialized: codeShape)
        z = Tensor(uninitialized: codeShape); zGrad = Tensor(uninitialized: codeShape)
        scratch = Tensor(uninitialized: [max(rows, 1), c.inputSize])
        self.gradients = gradients
    }

    /// Forward and backward on `rows` rows of inputs at `x` (the targets too). Noise for the VAE comes
    /// from `rng`, drawn as the graph engine draws it. Returns the objective (reconstruction + klWeight ·
    /// KL) summed over the rows; the gradients are in `gradients`.
    func run(_ x: UnsafePointer<Float>, rows: Int, klWeight: Float, rng: inout RandomGenerator) -> Float {
        precondition(rows <= capacity, "planned step for \(capacity) rows got \(rows)")
        guard rows > 0 else { gradients.fill(0); return 0 }
        var h = x
        for l in encoder { l.forward(h, rows: rows); h = UnsafePointer(l.output.data) }
        var kl: Float = 0
        let n = rows * config.latent
        if let heads {
            rng.fillNormal(eps.data, count: n)
            heads.mean.forward(h, rows: rows)
            heads.logVariance.forward(h, rows: rows)
            kl = reparameterize(mean: heads.mean.output.data, logVariance: heads.logVariance.output.data, n: n)
            h = UnsafePointer(z.data)
        }
        let code = h
        for l in decoder { l.forward(h, rows: rows); h = UnsafePointer(l.output.data) }
        let reconstruction = binaryCrossEntropy(logits: decoder.last!.output.data, targets: x,
                                                  gradient: decoder.last!.outputGrad.data, n: rows * config.inputSize)
        // Backward: decoder, then (VAE) reparameterisation and heads, then encoder.
        for j in decoder.indices.reversed() {
            let input = j == 0 ? code : UnsafePointer(decoder[j - 1].output.data)
            let inputGrad = j == 0 ? (heads == nil ? encoder.last!.outputGrad.data : zGrad.data) : decoder[j - 1].outputGrad.data
            decoder[j].backward(input, rows: rows, inputGrad: inputGrad)
        }
        if let heads {
            reparameterizeBackward(heads, klWeight: klWeight, n: n)
            let input = encoder.last.map { UnsafePointer($0.output.data) } ?? x
            let inputGrad = encoder.last?.outputGrad.data
            heads.mean.backward(input, rows: rows, inputGrad: inputGrad)
            heads.logVariance.backward(input, rows: rows, inputGrad: inputGrad, accumulate: true)
        }
        for i in encoder.indices.reversed() {
            let input = i == 0 ? x : UnsafePointer(encoder[i - 1].output.data)
            encoder[i].backward(input, rows: rows, inputGrad: i == 0 ? nil : encoder[i - 1].outputGrad.data)
        }
        if heads == nil { return reconstruction }
        return klWeight == 1 ? reconstruction + kl : reconstruction + kl * klWeight   // as the graph adds them
    }

    /// z = mu + exp(logVar/2)·eps (keeping std·eps and the variance for the backward pass); returns
    /// KL(q ‖ N(0, I)) summed.
    private func reparameterize(mean mu: UnsafeMutablePointer<Float>, logVariance lv: UnsafeMutablePointer<Float>, n: Int) -> Float {
        Gaussian.reparameterize(mean: mu, logVariance: lv, noise: eps.data, stdNoise: stdEps.data, z: z.data, n)
        return Float(Gaussian.klToStandardNormal(mean: mu, logVariance: lv, variance: variance.data, n))
    }

    /// Gradients of the heads' outputs: through z (dz/dmu = 1, dz/dlogVar = ½·std·eps) plus the weighted KL's.
    private func reparameterizeBackward(_ heads: (mean: PlannedLayer, logVariance: PlannedLayer), klWeight w: Float, n: Int) {
        let mu = heads.mean.output.data, dmu = heads.mean.outputGrad.data, dlv = heads.logVariance.outputGrad.data
        let dz = zGrad.data, se = stdEps.data, v = variance.data
        for i in 0..<n {
            dmu[i] = dz[i] + w * mu[i]
            dlv[i] = 0.5 * dz[i] * se[i] + 0.5 * w * (v[i] - 1)
        }
    }

    /// Σ BCE(sigmoid(logits), targets), writing sigmoid(logits) − targets into `gradient`.
    private func binaryCrossEntropy(logits x: UnsafePointer<Float>, targets t: UnsafePointer<Float>,
                                    gradient grad: UnsafeMutablePointer<Float>, n: Int) -> Float {
        Float(VectorMath.binaryCrossEntropyWithLogits(x, targets: t, gradient: grad, scratch: scratch.data, n))
    }
}

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
    /// d loss / d input transposed, [inputs, rows] (for layers that pass a gradient down).
    let inputGradTransposed: Tensor?

    init(_ linear: Linear, activation: Activation?, weightGrad: UnsafeMutablePointer<Float>,
         biasGrad: UnsafeMutablePointer<Float>, rows: Int, passesGradientDown: Bool) {
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
        inputGradTransposed = passesGradientDown ? Tensor(uninitialized: [inputs, max(rows, 1)]) : nil
    }

    /// output = f(x·Wᵀ + b): the bias rows are GEMM's initial C.
    func forward(_ x: UnsafePointer<Float>, rows: Int) {
        let y = preActivation?.data ?? output.data
        for r in 0..<rows { (y + r * outputs).update(from: bias, count: outputs) }
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, x, lda: inputs, weight, ldb: inputs,
                  beta: 1, y, ldc: outputs)
        guard let activation else { return }
        activation.function.apply(y, output.data, rows * outputs)
    }

    /// From d loss / d output: the weight and bias gradients (overwritten), and d loss / d input into
    /// `inputGrad` (added to it if `accumulate`).
    func backward(_ x: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        let g = outputGrad.data, n = rows * outputs
        if let activation {
            let y = output.data
            activation.function.chainDerivative(g, input: preActivation?.data ?? y, output: y, into: g, n)
        }
        BLAS.gemm(transposeA: true, transposeB: false, m: outputs, n: inputs, k: rows, g, lda: outputs, x, ldb: inputs,
                  beta: 0, weightGrad, ldc: inputs)
        biasGrad.update(from: g, count: outputs)
        for r in 1..<max(rows, 1) {
            let row = g + r * outputs
            var j = 0
            while j + 8 <= outputs { store8(load8(biasGrad + j) + load8(row + j), biasGrad + j); j += 8 }
            while j < outputs { biasGrad[j] += row[j]; j += 1 }
        }
        if let inputGrad, let t = inputGradTransposed?.data {
            // d input = g·W, computed transposed (Wᵀ·gᵀ, both operands read transposed) and transposed back:
            // OpenBLAS's small-matrix kernel for the untransposed product calls malloc every time, and a
            // data-parallel worker's share of the batch makes these products small.
            BLAS.gemm(transposeA: true, transposeB: true, m: inputs, n: rows, k: outputs, weight, lda: inputs, g, ldb: outputs,
                      beta: 0, t, ldc: rows)
            transpose(t, rows: inputs, columns: rows, into: inputGrad, accumulate: accumulate)
        }
    }
}

/// out (+)= tᵀ for t of shape [rows, columns], in cache-sized tiles.
private func transpose(_ t: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let tile = 32
    for r0 in stride(from: 0, to: rows, by: tile) {
        for c0 in stride(from: 0, to: columns, by: tile) {
            for c in c0..<min(c0 + tile, columns) {
                let o = out + c * rows
                if accumulate {
                    for r in r0..<min(r0 + tile, rows) { o[r] += t[r * columns + c] }
                } else {
                    for r in r0..<min(r0 + tile, rows) { o[r] = t[r * columns + c] }
                }
            }
        }
    }
}

extension Activation {
    /// The elementwise function this activation applies.
    var function: UnaryFunction {
        switch self {
        case .relu: .relu
        case .tanh: .tanh
        case .sigmoid: .sigmoid
        case .leakyRelu: .leakyRelu(slope: 0.01)
        case .softplus: .softplus
        }
    }
}
