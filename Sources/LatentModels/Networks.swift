import LatentAutodiff
import LatentNN
import LatentTensor

/// The encoder body every model shares: images → features (convolutions, for `conv`) → dense hidden layers.
/// A condition (the CVAE's one-hot label) joins between the two parts.
public final class EncoderBody: Module {
    /// Convolutions and flattening (empty for `mlp`).
    public let features: Sequential
    /// Linear + activation per hidden width.
    public let dense: Sequential
    /// Width of the output.
    public let outputSize: Int

    /// The encoder body of `c`, with `conditionSize` extra inputs before the dense layers.
    public init(_ c: ModelConfig, conditionSize: Int = 0, lastActivation: Activation? = nil, rng: inout RandomGenerator)
    {
        var width = c.inputSize
        if c.arch == .deepconv {
            // PyTorch-VAE's VanillaVAE: kernel 3, stride 2, padding 1, each followed by BatchNorm and activation.
            var layers: [any Layer] = [Reshape([c.imageHeight, c.imageWidth, c.channels])]
            var previous = c.channels
            for channels in c.convChannels {
                layers += [
                    Conv2D(previous, channels, kernel: 3, stride: 2, padding: 1, rng: &rng), BatchNorm(channels),
                    ActivationLayer(c.activation),
                ]
                previous = channels
            }
            width = c.convFeatures
            features = Sequential(layers + [Reshape([width])])
        } else if c.arch == .conv {
            let (c0, c1) = (c.convChannels[0], c.convChannels[1])
            features = Sequential([
                Reshape([c.imageHeight, c.imageWidth, c.channels]),
                Conv2D(c.channels, c0, kernel: 4, stride: 2, padding: 1, rng: &rng), ActivationLayer(c.activation),
                Conv2D(c0, c1, kernel: 4, stride: 2, padding: 1, rng: &rng), ActivationLayer(c.activation),
                Reshape([c.imageHeight / 4 * c.imageWidth / 4 * c1]),
            ])
            width = c.imageHeight / 4 * c.imageWidth / 4 * c1
        } else {
            features = Sequential([])
        }
        width += conditionSize
        var layers: [any Layer] = []
        for (i, h) in c.hidden.enumerated() {
            layers.append(Linear(width, h, rng: &rng))
            let last = i == c.hidden.count - 1
            layers.append(ActivationLayer(last ? (lastActivation ?? c.activation) : c.activation))
            width = h
        }
        dense = Sequential(layers)
        outputSize = width
    }

    /// The convolutional part ("conv") and the dense layers (whose names take no prefix).
    public var namedChildren: [(name: String, module: any Module)] { [("conv", features), ("", dense)] }

    /// Features of `x` (joined by the condition) through the dense layers.
    public func callAsFunction(_ x: Variable, condition: Tensor? = nil) -> Variable {
        var h = features(x)
        if let condition { h = Variable.concatColumns(h, Variable(condition)) }
        return dense(h)
    }
}

/// The decoder every model shares: code (+ condition) → dense layers → (transposed convolutions) → logits
/// [n, inputSize].
public final class Decoder: Module {
    /// Dense layers: code → hidden → (conv features or outputs).
    public let dense: Sequential
    /// Transposed convolutions to the image (empty for `mlp`).
    public let deconv: Sequential

    /// The decoder of `c` for codes (+ condition) of `inputSize`.
    public init(_ c: ModelConfig, inputSize: Int, rng: inout RandomGenerator) {
        if c.arch == .deepconv {
            // Mirrors the encoder (VanillaVAE): a linear map to the last feature map, transposed convolutions
            // (kernel 3, stride 2, padding 1, output padding 1) each with BatchNorm and activation, one more at
            // the first width, then a kernel-3 convolution to the image's channels.
            let (hn, wn) = c.convSize
            let last = c.convChannels.last!, first = c.convChannels[0]
            dense = .mlp(
                input: inputSize, hidden: c.hidden.reversed(), output: c.convFeatures, activation: c.activation,
                rng: &rng)
            var layers: [any Layer] = [Reshape([hn, wn, last])]
            for (from, to) in zip(c.convChannels.reversed(), c.convChannels.reversed().dropFirst() + [first]) {
                layers += [
                    ConvTranspose2D(from, to, kernel: 3, stride: 2, padding: 1, outputPadding: 1, rng: &rng),
                    BatchNorm(to), ActivationLayer(c.activation),
                ]
            }
            layers += [Conv2D(first, c.channels, kernel: 3, stride: 1, padding: 1, rng: &rng), Reshape([c.inputSize])]
            deconv = Sequential(layers)
        } else if c.arch == .conv {
            let (c0, c1) = (c.convChannels[0], c.convChannels[1])
            let (h4, w4) = (c.imageHeight / 4, c.imageWidth / 4)
            var layers = Sequential.mlp(
                input: inputSize, hidden: c.hidden.reversed(), output: h4 * w4 * c1,
                activation: c.activation, rng: &rng
            ).layers
            layers.append(ActivationLayer(c.activation))
            dense = Sequential(layers)
            deconv = Sequential([
                Reshape([h4, w4, c1]),
                ConvTranspose2D(c1, c0, kernel: 4, stride: 2, padding: 1, rng: &rng), ActivationLayer(c.activation),
                ConvTranspose2D(c0, c.channels, kernel: 4, stride: 2, padding: 1, rng: &rng),
                Reshape([c.inputSize]),
            ])
        } else {
            dense = .mlp(
                input: inputSize, hidden: c.hidden.reversed(), output: c.inputSize, activation: c.activation, rng: &rng)
            deconv = Sequential([])
        }
    }

    /// The dense layers (whose names take no prefix) and the convolutional part ("conv").
    public var namedChildren: [(name: String, module: any Module)] { [("", dense), ("conv", deconv)] }

    /// Logits for codes `z`.
    public func callAsFunction(_ z: Variable) -> Variable { deconv(dense(z)) }
}
