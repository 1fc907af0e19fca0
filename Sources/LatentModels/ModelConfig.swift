import Foundation
import LatentNN
import LatentTensor

/// Everything needed to rebuild a model, stored as JSON in its checkpoint: the kind, the networks' shapes and
/// the loss's options. Training schedules and data handling live elsewhere (`TrainingOptions`).
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Which member of the family.
    public var kind: ModelKind
    /// Fully connected or convolutional body.
    public var arch: Architecture = .mlp
    /// Features per example (pixels of an image, columns of a table).
    public var inputSize = 784
    /// Image height; `imageHeight · imageWidth == inputSize` (1 × features for a table).
    public var imageHeight = 28
    /// Image width.
    public var imageWidth = 28
    /// Colour channels of an image (nil: 1); `imageHeight · imageWidth · channels == inputSize`.
    public var imageChannels: Int?
    /// Widths of the dense hidden layers (after the convolutions for `conv`); the decoder mirrors them.
    public var hidden: [Int] = [400]
    /// Code dimensions.
    public var latent = 20
    /// The hidden layers' nonlinearity.
    public var activation: Activation = .relu
    /// Number of classes (CVAE labels, classifier outputs).
    public var classes = 10
    /// The decoder's output distribution.
    public var likelihood: Likelihood = .bernoulli
    /// Gaussian likelihood's variance; nil = learned (one scalar).
    public var outputVariance: Float?
    /// Gaussian likelihood's mean: sigmoid or identity of the logits; nil: sigmoid (checkpoints from before the
    /// choice). `TrainingData.prepare` picks identity for training data outside [0, 1]. Bernoulli: always sigmoid.
    public var outputMean: OutputMean?
    /// Weight of the KL term (β-VAE).
    public var beta: Float = 1
    /// Channels of the stride-2 convolutions: two for `conv`, one per halving for `deepconv`.
    public var convChannels = [32, 64]
    /// Dynamic binarisation: each training pixel redrawn as Bernoulli(intensity) every time it is seen; the
    /// test set is binarised once with a fixed seed (`ModelConfig.testBinarizationSeed`). nil: intensities.
    public var binarize: Binarization?
    /// Free bits: a floor (nats) on each latent dimension's batch-average KL in the training loss.
    public var freeBits: Float?
    /// The kind's own hyperparameters under their JSON keys (each kind's file gives them typed accessors).
    public var settings: [String: SettingValue] = [:]
    /// The seed of the fixed binarisation of test sets.
    public static let testBinarizationSeed: UInt64 = 20_150_101

    /// A configuration of `kind` with the defaults (784-400-20, ReLU, Bernoulli: pytorch/examples' VAE).
    public init(kind: ModelKind) { self.kind = kind }

    /// What the kind can do.
    public var capabilities: ModelCapabilities { kind.member.capabilities }
    /// Models with a posterior distribution and a KL term.
    public var isVariational: Bool { capabilities.contains(.variational) }
    /// The output distribution's mean is the logits themselves (a Gaussian with `outputMean` identity).
    public var hasIdentityMean: Bool { likelihood == .gaussian && outputMean == .identity }
    /// Models that take a label beside each input and code.
    public var isConditional: Bool { capabilities.contains(.conditional) }
    /// Models with an encoder and decoder.
    public var isReconstructing: Bool { capabilities.contains(.reconstruct) }
    /// Models that need class labels to train (conditional models and classifiers).
    public var needsLabels: Bool { !capabilities.isDisjoint(with: [.conditional, .classify]) }
    /// Colour channels per pixel (1 unless `imageChannels` says otherwise).
    public var channels: Int { imageChannels ?? 1 }
    /// `deepconv`: the last feature map's height and width (each side halved per convolution).
    public var convSize: (height: Int, width: Int) {
        (imageHeight >> convChannels.count, imageWidth >> convChannels.count)
    }
    /// `deepconv`: values in the last feature map (the dense layers' input).
    public var convFeatures: Int { convSize.height * convSize.width * (convChannels.last ?? 1) }

    /// The defaults of an architecture for images of a size: the activation (LeakyReLU for `deepconv`, as
    /// VanillaVAE; ReLU otherwise), the dense hidden widths (none for `deepconv`, 400 otherwise) and the
    /// convolutions' channels.
    public static func defaults(
        for arch: Architecture, height: Int, width: Int
    ) -> (activation: Activation, hidden: [Int], convChannels: [Int]) {
        guard arch == .deepconv else { return (.relu, [400], [32, 64]) }
        return (.leakyRelu, [], deepConvChannels(height: height, width: width))
    }

    /// `deepconv`'s default channels: PyTorch-VAE's 32, 64, 128, 256, 512, as many as halve both sides exactly
    /// down to no less than 2 × 2 (five for 64 × 64, two for 28 × 28).
    public static func deepConvChannels(height: Int, width: Int) -> [Int] {
        var channels = [Int]()
        for c in [32, 64, 128, 256, 512] {
            let n = channels.count + 1
            guard height % (1 << n) == 0, width % (1 << n) == 0, height >> n >= 2, width >> n >= 2 else { break }
            channels.append(c)
        }
        return channels.isEmpty ? [32] : channels
    }

    /// The configuration as compact JSON with sorted keys (the checkpoint's `config`).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// A configuration from the checkpoint's JSON.
    public static func from(json: String) throws -> ModelConfig {
        do { return try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) } catch {
            throw LatentError(.model, "not a valid model configuration (\(error)): \(json.prefix(200))")
        }
    }

    /// Checks sizes and combinations; errors name the property at fault. A model whose weights, gradients and
    /// Adam moments would not fit in the machine's memory is refused here, before anything is allocated.
    public func validate() throws {
        try validateShapes()
        try validateLoss()
        let count = parameterCount
        // On large pictures the first layers' weights (input × first width, encoder and decoder) are the model:
        // the picture size is then the setting to change.
        let inputWeights = 2 * Double(inputSize) * Double(hidden.first ?? latent)
        let field = imageHeight > 1 && arch == .mlp && 2 * inputWeights > count ? "imageSize" : "hidden"
        try MemoryBudget.check(
            count * 16, for: "this model (\(count.formatted) parameters, with gradients and Adam's moments)",
            domain: .model, field: field)
    }

    /// The number of trainable scalars the model of this configuration has, computed from the shapes alone
    /// (a Double: a hostile configuration's count may not fit an Int). Checked against every built model by a
    /// test; used to refuse what cannot fit and checkpoints whose tensors disagree with their configuration.
    public var parameterCount: Double {
        func dense(_ widths: [Double]) -> Double {
            zip(widths, widths.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
        }
        let condition = Double(isConditional ? classes : 0), h = hidden.map(Double.init), z = Double(latent)
        var features = Double(inputSize), convolutions = 0.0, deconvolutions = 0.0
        let image = Double(channels)
        if arch == .conv, convChannels.count == 2 {
            let (c0, c1) = (Double(convChannels[0]), Double(convChannels[1]))
            features = Double(imageHeight / 4) * Double(imageWidth / 4) * c1
            convolutions = (16 * image + 1) * c0 + (16 * c0 + 1) * c1
            deconvolutions = (16 * c1 + 1) * c0 + (16 * c0 + 1) * image
        } else if arch == .deepconv, let first = convChannels.first.map(Double.init) {
            // Each convolution: 9·in·out weights, out biases, and BatchNorm's 2·out.
            let widths = [image] + convChannels.map(Double.init)
            features = Double(convFeatures)
            convolutions = zip(widths, widths.dropFirst()).reduce(0) { $0 + (9 * $1.0 + 3) * $1.1 }
            let mirrored = Array(widths.dropFirst().reversed()) + [first]
            deconvolutions =
                zip(mirrored, mirrored.dropFirst()).reduce(0) { $0 + (9 * $1.0 + 3) * $1.1 } + (9 * first + 1) * image
        }
        let body = dense([features + condition] + h), last = h.last ?? features + condition
        if !isReconstructing { return convolutions + body + (last + 1) * Double(classes) }
        let heads = (isVariational ? 2 : 1) * (last + 1) * z
        let decoderOutput = arch == .mlp ? Double(inputSize) : features
        let decoder = dense([z + condition] + h.reversed() + [decoderOutput]) + deconvolutions
        let learnedVariance = likelihood == .gaussian && outputVariance == nil ? 1.0 : 0
        return convolutions + body + heads + decoder + learnedVariance + kind.member.extraParameterCount(self)
    }

    /// The width of the encoder body's output, which the heads read: the last hidden width, or the convolutions'
    /// flattened features (or the input) when there is no hidden layer.
    public var encoderOutputWidth: Int {
        if let last = hidden.last { return last }
        if arch == .conv, convChannels.count == 2 { return imageHeight / 4 * imageWidth / 4 * convChannels[1] }
        return arch == .deepconv ? convFeatures : inputSize
    }

    /// Floats a training step keeps per example (per importance sample for an IWAE), roughly: activations,
    /// their gradients and the kernels' scratch — 12 per input value, 6 per hidden unit (encoder and decoder),
    /// 5 per value of a convolution's feature map (im2col's columns included). Calibrated on peak memory (graph
    /// IWAE 784-400-20: 13,300 measured; deep conv 64x64x3: 1.3 million planned, 0.85 million on the graph), so a
    /// step that cannot fit is refused before it is tried (`TrainingStep`).
    public var trainingValuesPerExample: Double {
        var maps = 0.0
        let (h, w) = (Double(imageHeight), Double(imageWidth))
        if arch == .conv, convChannels.count == 2 {
            maps = 2 * (h * w / 4 * Double(convChannels[0]) + h * w / 16 * Double(convChannels[1]))
        } else if arch == .deepconv, let first = convChannels.first {
            for (i, c) in convChannels.enumerated() { maps += 2 * h * w / Double(1 << (2 * i + 2)) * Double(c) }
            maps += h * w * Double(first)  // the decoder's last transposed convolution, at full size
        }
        let dense = Double(hidden.reduce(0, +)) * 2 + Double(latent) * 3
        return 12 * Double(inputSize) + 6 * dense + 5 * maps
    }

    /// Saved values that are not trained: BatchNorm's running mean and variance per channel (`deepconv`), and the
    /// kind's own (a codebook).
    public var bufferCount: Double { kind.member.extraBufferCount(self) + batchNormBufferCount }

    private var batchNormBufferCount: Double {
        guard arch == .deepconv, let first = convChannels.first, let last = convChannels.last else { return 0 }
        let total = Double(convChannels.reduce(0, +))
        // The encoder's layers, and the decoder's (one fewer at the deep end, one more at the first width).
        return 2 * (total + (isReconstructing ? total - Double(last) + Double(first) : 0))
    }

    private func fail(_ field: String, _ message: String) -> LatentError { LatentError(.model, field: field, message) }

    private func validateShapes() throws {
        let (pixels, overflow) = imageHeight.multipliedReportingOverflow(by: imageWidth)
        guard channels == 1 || channels == 3 else { throw fail("imageChannels", "expected 1 or 3, got \(channels)") }
        guard inputSize > 0, inputSize <= 1 << 28, imageHeight > 0, !overflow, pixels * channels == inputSize else {
            throw fail(
                "inputSize",
                "image \(imageWidth)x\(imageHeight)x\(channels) does not match input size \(inputSize) (1…2^28)")
        }
        guard hidden.allSatisfy({ $0 > 0 }) else {
            throw fail("hidden", "layer widths must be positive, got \(hidden)")
        }
        guard hidden.count <= 64, hidden.allSatisfy({ $0 <= 1 << 24 }) else {
            throw fail("hidden", "expected at most 64 layers of at most 16,777,216 units, got \(hidden)")
        }
        guard arch != .mlp || !hidden.isEmpty else { throw fail("hidden", "an MLP needs at least one hidden layer") }
        guard latent > 0, latent <= 1 << 24 else { throw fail("latent", "expected 1…16,777,216, got \(latent)") }
        guard classes > 1, classes <= 1 << 16 else { throw fail("classes", "expected 2…65,536, got \(classes)") }
        if arch == .conv {
            guard imageHeight % 4 == 0, imageWidth % 4 == 0 else {
                throw fail("arch", "conv needs image sides divisible by 4, got \(imageWidth)x\(imageHeight)")
            }
            guard convChannels.count == 2, convChannels.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
                throw fail("convChannels", "expected two numbers 1…65,536, got \(convChannels)")
            }
        }
        if arch == .deepconv {
            let n = convChannels.count
            guard (1...8).contains(n), convChannels.allSatisfy({ $0 > 0 && $0 <= 4096 }) else {
                throw fail("convChannels", "expected 1…8 numbers 1…4,096, got \(convChannels)")
            }
            guard imageHeight % (1 << n) == 0, imageWidth % (1 << n) == 0 else {
                throw fail(
                    "convChannels",
                    "\(n) stride-2 convolutions need image sides divisible by \(1 << n), got "
                        + "\(imageWidth)x\(imageHeight) (use fewer `convChannels` or another `imageSize`)")
            }
        }
    }

    private func validateLoss() throws {
        guard beta >= 0, beta.isFinite else { throw fail("beta", "expected a number ≥ 0, got \(beta)") }
        if let v = outputVariance, !(v > 0 && v.isFinite) {
            throw fail("outputVariance", "expected a positive number or 'learned', got \(v)")
        }
        if outputMean == .identity && likelihood != .gaussian {
            throw fail("outputMean", "identity applies to `likelihood` gaussian (a Bernoulli's mean is a probability)")
        }
        if let f = freeBits {
            guard f >= 0, f.isFinite else { throw fail("freeBits", "expected a number of nats ≥ 0, got \(f)") }
            guard isVariational else { throw fail("freeBits", "applies to variational kinds (`kind` vae or cvae)") }
        }
        let own = Set(kind.member.settingKeys)
        for key in settings.keys.sorted() where !own.contains(key) {
            let owners = ModelKind.allCases.filter { $0.member.settingKeys.contains(key) }.map(\.rawValue)
            let which = owners.isEmpty ? "no `kind`" : "`kind` " + owners.joined(separator: " or ") + " only"
            throw fail(key, "applies to \(which)")
        }
        try kind.member.validate(self)
    }
}

extension Double {
    /// "652,824" for counts, "1.2e+19" beyond what an Int holds.
    fileprivate var formatted: String {
        guard self < 9e15 else { return "\(self)" }
        let digits = String(Int(self))
        return String(
            digits.reversed().enumerated().map { ($0 > 0 && $0 % 3 == 0 ? "," : "") + String($1) }.joined().reversed())
    }
}
