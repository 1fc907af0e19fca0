import LatentNN
import LatentTensor

/// The training step of an autoencoder or VAE, planned once (llm.c's way) instead of recorded as a graph every
/// step: the body's convolutions and BatchNorm layers (`PlannedOp`s), the dense layers (`PlannedLayer`s), the
/// heads and the decoder, every activation, im2col and gradient buffer allocated when the plan is made,
/// forward and backward written out layer by layer on slices of those buffers, so a step allocates nothing.
///
/// It computes what the graph engine (`model.loss` then `backward()`) computes, from the same noise
/// draws; the graph engine stays the reference and the tests hold the two to float rounding of each other.
/// Plans cover the common case, AE and VAE (mlp, conv or deepconv) with the Bernoulli likelihood and no
/// extras (no corruption, sparsity, condition, free bits or importance samples); everything else trains on the
/// graph.
final class PlannedNetwork: PlannedStep {

    let config: ModelConfig
    /// The `conv` body's convolutions before the encoder's dense layers (empty for an MLP).
    let features: [any PlannedOp]
    /// Encoder layers (for the AE, ending with the code layer).
    let encoder: [PlannedLayer]
    /// The VAE's mean and log-variance heads, reading the encoder's output.
    let heads: (mean: PlannedLayer, logVariance: PlannedLayer)?
    /// Decoder layers, the last one producing logits (or, with `deconvolutions`, their input).
    let decoder: [PlannedLayer]
    /// The `conv` body's transposed convolutions after the decoder's dense layers, the last producing logits.
    let deconvolutions: [any PlannedOp]
    /// Row capacity of every buffer.
    let capacity: Int
    /// VAE buffers [capacity, latent]: noise, std·noise, posterior variance, code z, its gradient.
    let eps: Tensor, stdEps: Tensor, variance: Tensor, z: Tensor, zGrad: Tensor
    /// Scratch [capacity, inputSize] for the reconstruction loss's terms.
    let scratch: Tensor
    /// The gradient buffer the plan writes (every element of it, each step).
    let gradients: Tensor
    /// The last run's reconstruction loss and KL, summed over its rows.
    private(set) var lastTerms: (reconstruction: Float, kl: Float) = (0, 0)
    /// The dense layers in a fixed order, encoder, heads, decoder: a team's members find each other's by index.
    let dense: [PlannedLayer]
    /// What each of `dense` read in the last run, and the last run's rows (a team's members read each other's).
    let denseInputs: UnsafeMutableBufferPointer<UnsafePointer<Float>>
    private(set) var lastRows = 0
    /// Indices into `dense` in the order the backward pass reaches them: decoder (last first), heads, encoder.
    let backwardOrder: [Int]

    /// "oneDNN" if every convolution of a full batch runs on oneDNN's kernels, "im2col" if none does, nil without
    /// convolutions.
    var convolutionKernels: String? {
        let convolutions = (features + deconvolutions).compactMap { $0 as? PlannedConvolution }
        guard !convolutions.isEmpty else { return nil }
        let direct = convolutions.filter { $0.direct != nil }.count
        return direct == convolutions.count ? "oneDNN" : direct == 0 ? "im2col" : "oneDNN and im2col"
    }

    /// The plan's BatchNorm layers, in order.
    var batchNorms: [PlannedBatchNorm] {
        (features + deconvolutions).compactMap { $0 as? PlannedBatchNorm }
    }

    /// A plan of the VAE's networks, or nil if the model has none.
    convenience init?(_ vae: VariationalAutoencoder, parameters: ParameterSet, gradients: Tensor, rows: Int) {
        guard vae.config.planUnsupportedReason == nil else { return nil }
        let b = LayerBinder(parameters: parameters, gradients: gradients, rows: rows)
        guard let f = b.convolutions(vae.body.features, vae.config),
            let e = b.chain(vae.body.dense, readsData: f.isEmpty),
            let d = b.chain(vae.decoder.dense, readsData: false), let t = b.convolutions(vae.decoder.deconv, vae.config)
        else { return nil }
        let deep = !vae.body.dense.layers.isEmpty || !f.isEmpty
        guard let m = b.layer(vae.meanHead, nil, passesGradientDown: deep),
            let v = b.layer(vae.logVarianceHead, nil, passesGradientDown: deep)
        else { return nil }
        self.init(
            vae.config, features: f, encoder: e, heads: (m, v), decoder: d, deconvolutions: t,
            parameters: parameters, gradients: gradients, rows: rows)
    }

    /// A plan of the AE's networks, or nil if the model has none.
    convenience init?(_ ae: Autoencoder, parameters: ParameterSet, gradients: Tensor, rows: Int) {
        guard ae.config.planUnsupportedReason == nil else { return nil }
        let b = LayerBinder(parameters: parameters, gradients: gradients, rows: rows)
        guard let f = b.convolutions(ae.body.features, ae.config), let e = b.chain(ae.body.dense, readsData: f.isEmpty),
            let code = b.layer(ae.codeLayer, nil, passesGradientDown: !e.isEmpty || !f.isEmpty),
            let d = b.chain(ae.decoder.dense, readsData: false), let t = b.convolutions(ae.decoder.deconv, ae.config)
        else { return nil }
        self.init(
            ae.config, features: f, encoder: e + [code], heads: nil, decoder: d, deconvolutions: t,
            parameters: parameters, gradients: gradients, rows: rows)
    }

    /// A plan of these layers; nil unless they cover every parameter (or part of the gradient would be stale).
    init?(
        _ c: ModelConfig, features: [any PlannedOp] = [], encoder: [PlannedLayer],
        heads: (mean: PlannedLayer, logVariance: PlannedLayer)?, decoder: [PlannedLayer],
        deconvolutions: [any PlannedOp] = [], parameters: ParameterSet, gradients: Tensor, rows: Int
    ) {
        (self.features, self.encoder, self.heads, self.decoder) = (features, encoder, heads, decoder)
        self.deconvolutions = deconvolutions
        // Every parameter must be some layer's, or part of the gradient would be left stale.
        let layers = encoder + decoder + (heads.map { [$0.mean, $0.logVariance] } ?? [])
        let covered =
            layers.reduce(0) { $0 + ($1.inputs + 1) * $1.outputs }
            + (features + deconvolutions).reduce(0) { $0 + $1.parameterCount }
        guard covered == parameters.count, gradients.count == parameters.count else { return nil }
        config = c
        capacity = rows
        let codeShape: Shape = [max(rows, 1), c.latent]
        eps = Tensor(uninitialized: codeShape)
        stdEps = Tensor(uninitialized: codeShape)
        variance = Tensor(uninitialized: codeShape)
        z = Tensor(uninitialized: codeShape)
        zGrad = Tensor(uninitialized: codeShape)
        scratch = Tensor(uninitialized: [max(rows, 1), c.inputSize])
        self.gradients = gradients
        dense = encoder + (heads.map { [$0.mean, $0.logVariance] } ?? []) + decoder
        denseInputs = .allocate(capacity: dense.count)
        denseInputs.initialize(repeating: UnsafePointer(scratch.data))
        let e = encoder.count, d = e + (heads == nil ? 0 : 2)
        backwardOrder =
            decoder.indices.reversed().map { d + $0 } + (heads == nil ? [] : [e, e + 1]) + encoder.indices.reversed()
    }

    deinit { denseInputs.deallocate() }

    /// Forward and backward on `rows` rows of inputs at `x` (the targets too). Noise for the VAE comes
    /// from `rng`, drawn as the graph engine draws it. Returns the objective (reconstruction + klWeight ·
    /// KL) summed over the rows; the gradients are in `gradients`.
    func run(_ x: UnsafePointer<Float>, rows: Int, klWeight: Float, rng: inout RandomGenerator) -> Float {
        run(x, rows: rows, klWeight: klWeight, rng: &rng, team: nil, member: 0)
    }

    /// `run`, alone or as member `member` of `team` (which then gets the objective before the backward pass, and
    /// the weight gradients; see `PlannedTeam`).
    @discardableResult
    func run(
        _ x: UnsafePointer<Float>, rows: Int, klWeight: Float, rng: inout RandomGenerator, team: PlannedTeam?,
        member: Int
    ) -> Float {
        precondition(rows <= capacity, "planned step for \(capacity) rows got \(rows)")
        lastRows = rows
        guard rows > 0 else {
            lastTerms = (0, 0)
            guard let team else {
                gradients.fill(0)
                return 0
            }
            team.losses[member] = 0
            backward(x, encoderInput: x, code: x, rows: 0, klWeight: klWeight, team: team, member: member)
            return 0
        }
        var h = x
        for op in features {
            op.forward(h, rows: rows)
            h = UnsafePointer(op.output.data)
        }
        let encoderInput = h
        for l in encoder {
            l.forward(h, rows: rows)
            h = UnsafePointer(l.output.data)
        }
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
        for l in decoder {
            l.forward(h, rows: rows)
            h = UnsafePointer(l.output.data)
        }
        for op in deconvolutions {
            op.forward(h, rows: rows)
            h = UnsafePointer(op.output.data)
        }
        let logitsGradient = deconvolutions.last?.outputGrad.data ?? decoder.last!.outputGrad.data
        let reconstruction = binaryCrossEntropy(
            logits: h, targets: x, gradient: logitsGradient, n: rows * config.inputSize)
        lastTerms = (reconstruction, kl)
        let objective =
            heads == nil ? reconstruction : klWeight == 1 ? reconstruction + kl : reconstruction + kl * klWeight
        team?.losses[member] = objective
        backward(x, encoderInput: encoderInput, code: code, rows: rows, klWeight: klWeight, team: team, member: member)
        return objective
    }

    /// Backward from the logits' gradient: transposed convolutions, decoder, then (VAE) reparameterisation and
    /// heads, then encoder and convolutions. `encoderInput` is what the dense encoder read, `code` the decoder.
    private func backward(
        _ x: UnsafePointer<Float>, encoderInput: UnsafePointer<Float>, code: UnsafePointer<Float>, rows: Int,
        klWeight: Float, team: PlannedTeam?, member: Int
    ) {
        let e = encoder.count, d = e + (heads == nil ? 0 : 2)
        for j in deconvolutions.indices.reversed() {
            let input =
                j == 0 ? UnsafePointer(decoder.last!.output.data) : UnsafePointer(deconvolutions[j - 1].output.data)
            let inputGrad = j == 0 ? decoder.last!.outputGrad.data : deconvolutions[j - 1].outputGrad.data
            deconvolutions[j].backward(input, rows: rows, inputGrad: inputGrad)
        }
        for j in decoder.indices.reversed() {
            let input = j == 0 ? code : UnsafePointer(decoder[j - 1].output.data)
            let inputGrad =
                j == 0 ? (heads == nil ? encoder.last!.outputGrad.data : zGrad.data) : decoder[j - 1].outputGrad.data
            pass(d + j, input, rows: rows, inputGrad: inputGrad, team: team, member: member)
        }
        if let heads {
            reparameterizeBackward(heads, klWeight: klWeight, n: rows * config.latent)
            let input = encoder.last.map { UnsafePointer($0.output.data) } ?? encoderInput
            let inputGrad = encoder.last?.outputGrad.data ?? features.last?.outputGrad.data
            if team != nil {
                if rows > 0 {
                    heads.mean.passDown(input, rows: rows, inputGrad: inputGrad)
                    heads.logVariance.passDown(input, rows: rows, inputGrad: inputGrad, accumulate: true)
                }
                (denseInputs[e], denseInputs[e + 1]) = (input, input)
                team?.passedDown(e)
                team?.passedDown(e + 1)
            } else {
                heads.mean.backward(input, rows: rows, inputGrad: inputGrad)
                heads.logVariance.backward(input, rows: rows, inputGrad: inputGrad, accumulate: true)
            }
        }
        for i in encoder.indices.reversed() {
            let input = i == 0 ? encoderInput : UnsafePointer(encoder[i - 1].output.data)
            let below = i == 0 ? features.last?.outputGrad.data : encoder[i - 1].outputGrad.data
            pass(i, input, rows: rows, inputGrad: below, team: team, member: member)
        }
        team?.share(member: member)
        for j in features.indices.reversed() {
            let input = j == 0 ? x : UnsafePointer(features[j - 1].output.data)
            features[j].backward(input, rows: rows, inputGrad: j == 0 ? nil : features[j - 1].outputGrad.data)
        }
    }

    /// Dense layer `key`'s backward: alone, all of it; in a team, its own rows' part, then word to the team that it
    /// has passed the layer (the layer's weight-gradient runs wait for every member's word).
    private func pass(
        _ key: Int, _ input: UnsafePointer<Float>, rows: Int, inputGrad: UnsafeMutablePointer<Float>?,
        team: PlannedTeam?, member: Int
    ) {
        guard team != nil else {
            dense[key].backward(input, rows: rows, inputGrad: inputGrad)
            return
        }
        if rows > 0 { dense[key].passDown(input, rows: rows, inputGrad: inputGrad) }
        denseInputs[key] = input
        team?.passedDown(key)
    }

    /// z = mu + exp(logVar/2)·eps (keeping std·eps and the variance for the backward pass); returns
    /// KL(q ‖ N(0, I)) summed.
    private func reparameterize(
        mean mu: UnsafeMutablePointer<Float>, logVariance lv: UnsafeMutablePointer<Float>, n: Int
    ) -> Float {
        Gaussian.reparameterize(mean: mu, logVariance: lv, noise: eps.data, stdNoise: stdEps.data, z: z.data, n)
        return Float(Gaussian.klToStandardNormal(mean: mu, logVariance: lv, variance: variance.data, n))
    }

    /// Gradients of the heads' outputs: through z (dz/dmu = 1, dz/dlogVar = ½·std·eps) plus the weighted KL's.
    private func reparameterizeBackward(
        _ heads: (mean: PlannedLayer, logVariance: PlannedLayer), klWeight w: Float, n: Int
    ) {
        let mu = heads.mean.output.data, dmu = heads.mean.outputGrad.data, dlv = heads.logVariance.outputGrad.data
        let dz = zGrad.data, se = stdEps.data, v = variance.data
        for i in 0..<n {
            dmu[i] = dz[i] + w * mu[i]
            dlv[i] = 0.5 * dz[i] * se[i] + 0.5 * w * (v[i] - 1)
        }
    }

    /// Σ BCE(sigmoid(logits), targets), writing sigmoid(logits) − targets into `gradient`.
    private func binaryCrossEntropy(
        logits x: UnsafePointer<Float>, targets t: UnsafePointer<Float>,
        gradient grad: UnsafeMutablePointer<Float>, n: Int
    ) -> Float {
        Float(VectorMath.binaryCrossEntropyWithLogits(x, targets: t, gradient: grad, n))
    }
}

/// Finds where each layer's weights and gradients live in the packed buffers, for the plan's layers.
private struct LayerBinder {
    let offsets: [ObjectIdentifier: Int]
    let gradients: Tensor
    let rows: Int

    init(parameters: ParameterSet, gradients: Tensor, rows: Int) {
        var offsets: [ObjectIdentifier: Int] = [:]
        var offset = 0
        for (_, p) in parameters.named {
            offsets[ObjectIdentifier(p)] = offset
            offset += p.value.count
        }
        (self.offsets, self.gradients, self.rows) = (offsets, gradients, rows)
    }

    func layer(_ linear: Linear, _ activation: Activation?, passesGradientDown: Bool) -> PlannedLayer? {
        guard let bias = linear.bias, let w = offsets[ObjectIdentifier(linear.weight)],
            let b = offsets[ObjectIdentifier(bias)]
        else { return nil }
        return PlannedLayer(
            linear, activation: activation, weightGrad: gradients.data + w,
            biasGrad: gradients.data + b, rows: rows, passesGradientDown: passesGradientDown)
    }

    /// The convolutions (+ activations) of a `conv` body's Sequential (reshapes are views of the same
    /// buffers), their image sizes followed from the configuration's; empty for an empty Sequential, nil for
    /// layers a plan does not cover.
    func convolutions(_ s: Sequential, _ c: ModelConfig) -> [any PlannedOp]? {
        var out: [any PlannedOp] = []
        var (h, w, channels) = (c.imageHeight, c.imageWidth, c.channels)
        if s.layers.contains(where: { $0 is ConvTranspose2D }) {
            (h, w) = c.arch == .deepconv ? c.convSize : (c.imageHeight / 4, c.imageWidth / 4)
        }
        var i = 0
        while i < s.layers.count {
            let layer = s.layers[i]
            if layer is Reshape {
                i += 1
                continue
            }
            let next = i + 1 < s.layers.count ? s.layers[i + 1] as? ActivationLayer : nil
            if let norm = layer as? BatchNorm {
                guard let wo = offsets[ObjectIdentifier(norm.weight)], let bo = offsets[ObjectIdentifier(norm.bias)]
                else { return nil }
                out.append(
                    PlannedBatchNorm(
                        norm, valuesPerImage: h * w * channels, activation: next?.activation,
                        weightGrad: gradients.data + wo, biasGrad: gradients.data + bo, rows: rows))
                i += next == nil ? 1 : 2
                continue
            }
            let parameters: (Parameter, Parameter)
            if let conv = layer as? Conv2D {
                parameters = (conv.weight, conv.bias)
            } else if let conv = layer as? ConvTranspose2D {
                parameters = (conv.weight, conv.bias)
            } else {
                return nil
            }
            guard let wo = offsets[ObjectIdentifier(parameters.0)], let bo = offsets[ObjectIdentifier(parameters.1)]
            else { return nil }
            let op = PlannedConvolution(
                layer, height: h, width: w, activation: next?.activation, weightGrad: gradients.data + wo,
                biasGrad: gradients.data + bo, rows: rows)
            (h, w) =
                op.transposed
                ? (op.imageHeight, op.imageWidth)
                : ((h + 2 * op.padding - op.kernel) / op.stride + 1, (w + 2 * op.padding - op.kernel) / op.stride + 1)
            channels = op.transposed ? op.imageChannels : op.filters
            out.append(op)
            i += next == nil ? 1 : 2
        }
        return out
    }

    /// Linear (+ activation) pairs of a Sequential; the network's first layer reads the data, so no gradient
    /// goes below it.
    func chain(_ s: Sequential, readsData: Bool) -> [PlannedLayer]? {
        var out: [PlannedLayer] = []
        var i = 0
        while i < s.layers.count {
            guard let linear = s.layers[i] as? Linear else { return nil }
            let next = i + 1 < s.layers.count ? s.layers[i + 1] as? ActivationLayer : nil
            guard let l = layer(linear, next?.activation, passesGradientDown: !(readsData && i == 0)) else {
                return nil
            }
            out.append(l)
            i += next == nil ? 1 : 2
        }
        return out
    }
}
