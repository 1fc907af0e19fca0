import LatentAutodiff
import LatentNN
import LatentTensor

/// The VAE with an inverse autoregressive flow on its posterior (Kingma et al. 2016; Pythae's `VAE_IAF`): the draw
/// z₀ passes B steps, each reversing the code's order and then z ← z·exp(s) + m with (m, s) = MADE(z), a masked
/// MLP (Germain et al. 2015; Pythae's sequential degrees, ReLU, L hidden layers of W units) whose outputs for a
/// coordinate see only the coordinates before it, so log |det| = Σ s. Global parameters, no context from the
/// encoder, as Pythae's; "iaf.b.0", "iaf.b.2", … are block b's masked layers.
public enum IAFVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its N(0, I) prior.
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// B, L and W.
    public static let settingKeys = ["madeBlocks", "madeLayers", "madeWidth"]

    /// An `IAFAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        IAFAutoencoder(config, rng: &rng)
    }

    /// 1 … 16 blocks of 1 … 8 hidden layers of 2 … 4096 units; a code of at least 2 values; no free bits.
    public static func validate(_ c: ModelConfig) throws {
        guard let b = c.madeBlocks, (1...16).contains(b) else {
            throw LatentError(.model, field: "madeBlocks", "expected 1…16 IAF steps for an iaf")
        }
        guard let l = c.madeLayers, (1...8).contains(l) else {
            throw LatentError(.model, field: "madeLayers", "expected 1…8 hidden layers per MADE for an iaf")
        }
        guard let w = c.madeWidth, (2...4096).contains(w) else {
            throw LatentError(.model, field: "madeWidth", "expected 2…4096 units per MADE layer for an iaf")
        }
        guard c.latent >= 2 else {
            throw LatentError(.model, field: "latent", "an iaf's autoregressive order needs a code of 2 values or more")
        }
        if c.freeBits != nil { throw LatentError(.model, field: "freeBits", "applies to `kind` vae or cvae") }
    }

    /// The MADE blocks' weights and biases.
    public static func extraParameterCount(_ c: ModelConfig) -> Double {
        let d = c.latent, w = c.madeWidth ?? 128, l = c.madeLayers ?? 3
        return Double(c.madeBlocks ?? 2) * Double((d + 1) * w + (l - 1) * (w + 1) * w + (w + 1) * 2 * d)
    }
}

extension ModelConfig {
    /// The IAF steps B of an `iaf`.
    public var madeBlocks: Int? {
        get { setting("madeBlocks") }
        set { setSetting("madeBlocks", newValue) }
    }

    /// Hidden layers L of each MADE of an `iaf`.
    public var madeLayers: Int? {
        get { setting("madeLayers") }
        set { setSetting("madeLayers", newValue) }
    }

    /// Units W per hidden layer of each MADE of an `iaf`.
    public var madeWidth: Int? {
        get { setting("madeWidth") }
        set { setSetting("madeWidth", newValue) }
    }
}

/// A MADE: masked linear layers (weight ⊙ mask), ReLU between them, the last giving (m, s), 2·d outputs.
public final class MADE: Module {
    /// The layers' weights and biases (PyTorch's initialisation).
    public let layers: [Linear]
    /// Each layer's mask [out, in] (1: connected).
    let masks: [Tensor]
    /// [2d, d] selections of the last layer's m and s columns (made once: d is small, a product splits them).
    let shiftColumns: Tensor, logScaleColumns: Tensor

    /// Pythae's sequential-degree MADE for codes of `size` values: `layers` hidden layers of `width`.
    init(size d: Int, layers count: Int, width: Int, rng: inout RandomGenerator) {
        // Degrees: the inputs 0 … d−1; hidden unit i: i mod (d − 1).
        let input = Array(0..<d), hidden = (0..<width).map { $0 % (d - 1) }
        var masks: [Tensor] = [], layers: [Linear] = []
        var previous = input, fanIn = d
        for _ in 0..<count {
            let m = Tensor(uninitialized: [width, fanIn])
            for o in 0..<width { for j in 0..<fanIn { m.data[o * fanIn + j] = hidden[o] >= previous[j] ? 1 : 0 } }
            masks.append(m)
            layers.append(Linear(fanIn, width, rng: &rng))
            (previous, fanIn) = (hidden, width)
        }
        let out = Tensor(uninitialized: [2 * d, width])
        for o in 0..<(2 * d) { for j in 0..<width { out.data[o * width + j] = previous[j] < input[o % d] ? 1 : 0 } }
        masks.append(out)
        layers.append(Linear(width, 2 * d, rng: &rng))
        (self.layers, self.masks) = (layers, masks)
        (shiftColumns, logScaleColumns) = (Tensor(zeros: [2 * d, d]), Tensor(zeros: [2 * d, d]))
        for j in 0..<d {
            shiftColumns.data[j * d + j] = 1
            logScaleColumns.data[(d + j) * d + j] = 1
        }
    }

    /// The layers as PyTorch's `Sequential` numbers them: 0, 2, 4, … (the ReLUs in between hold nothing).
    public var namedChildren: [(name: String, module: any Module)] {
        layers.enumerated().map { ("\(2 * $0.offset)", $0.element) }
    }

    /// (m, s) for rows `z` [n, d].
    public func callAsFunction(_ z: Variable) -> (shift: Variable, logScale: Variable) {
        var h = z
        for (i, (layer, mask)) in zip(layers, masks).enumerated() {
            h = Variable.linear(h, weight: layer.weight.variable * Variable(mask), bias: layer.bias!.variable)
            if i < layers.count - 1 { h = h.relu() }
        }
        return (Variable.matmul(h, Variable(shiftColumns)), Variable.matmul(h, Variable(logScaleColumns)))
    }
}

/// A VAE whose posterior draws pass B IAF steps before the decoder.
public final class IAFAutoencoder: PosteriorFlowAutoencoder {
    /// The steps' MADEs, applied last first (Pythae's `inverse`, the direction its VAE_IAF samples in).
    public let blocks: [MADE]
    /// The order reversal [d, d].
    let reversal: Tensor

    /// A new model of configuration `c`: the VAE's networks as PyTorch initialises them, then the MADEs.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        var own = RandomGenerator(seed: rng.next())
        let d = c.latent
        blocks = (0..<(c.madeBlocks ?? 2)).map { _ in
            MADE(size: d, layers: c.madeLayers ?? 3, width: c.madeWidth ?? 128, rng: &own)
        }
        reversal = Tensor(zeros: [d, d])
        for j in 0..<d { reversal.data[j * d + (d - 1 - j)] = 1 }
        super.init(c, rng: &rng)
    }

    /// The VAE's networks and the MADEs ("iaf.0", "iaf.1", …).
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + blocks.enumerated().map { ("iaf.\($0.offset)", $0.element) }
    }

    /// For each step, last block first: reverse the order, (m, s) = MADE(z), z ← z·exp(s) + m; log |det| = Σ s.
    public override func flow(_ z: Variable) -> (z: Variable, logDeterminant: Variable?) {
        var z = z, total: Variable? = nil
        let ones = Variable(Tensor(repeating: 1, shape: [config.latent, 1]))
        for block in blocks.reversed() {
            z = Variable.matmul(z, Variable(reversal))
            let (m, s) = block(z)
            z = z * s.exp() + m
            let logDet = Variable.matmul(s, ones)
            total = total.map { $0 + logDet } ?? logDet
        }
        return (z, total)
    }
}
