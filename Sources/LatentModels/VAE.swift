import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// The variational autoencoder's shape and nonlinearity (`latent train --model vae …`).
public struct VAEConfig: Codable, Equatable, Sendable {
    public var inputSize: Int
    /// Widths of the encoder's hidden layers; the decoder mirrors them.
    public var hidden: [Int]
    public var latent: Int
    public var activation: Activation
    /// Image shape, for pictures; height · width = inputSize.
    public var imageHeight: Int
    public var imageWidth: Int

    public init(inputSize: Int = 784, hidden: [Int] = [400], latent: Int = 20, activation: Activation = .relu,
                imageHeight: Int = 28, imageWidth: Int = 28) {
        self.inputSize = inputSize; self.hidden = hidden; self.latent = latent; self.activation = activation
        self.imageHeight = imageHeight; self.imageWidth = imageWidth
    }

    /// Checks sizes, with messages naming the flag.
    public func validate() throws {
        guard inputSize > 0 else { throw ModelError("input size must be positive, got \(inputSize)") }
        guard !hidden.isEmpty, hidden.allSatisfy({ $0 > 0 }) else { throw ModelError("--hidden: expected one or more positive layer widths, got \(hidden)") }
        guard latent > 0 else { throw ModelError("--latent: expected a positive size, got \(latent)") }
        guard imageHeight * imageWidth == inputSize else { throw ModelError("image \(imageHeight)x\(imageWidth) does not match input size \(inputSize)") }
    }
}

/// A model's configuration or checkpoint that does not fit.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Variational autoencoder (Kingma & Welling 2014) with Bernoulli outputs, as in pytorch/examples:
/// encoder MLP → (mean, log-variance) → z = mean + exp(logvar/2)·eps → decoder MLP → pixel logits;
/// loss = binary cross-entropy (summed over pixels) + KL(q(z|x) ‖ N(0, I)).
public final class VAE: AutoencoderModel {
    public static let kind = "vae"
    public let config: VAEConfig
    public let encoder: Sequential
    public let meanHead: Linear
    public let logVarianceHead: Linear
    public let decoder: Sequential

    public init(_ config: VAEConfig, rng: inout RandomGenerator) {
        self.config = config
        var layers: [any Layer] = []
        var width = config.inputSize
        for h in config.hidden {
            layers.append(Linear(width, h, rng: &rng))
            layers.append(ActivationLayer(config.activation))
            width = h
        }
        encoder = Sequential(layers)
        meanHead = Linear(width, config.latent, rng: &rng)
        logVarianceHead = Linear(width, config.latent, rng: &rng)
        decoder = .mlp(input: config.latent, hidden: config.hidden.reversed(), output: config.inputSize,
                       activation: config.activation, rng: &rng)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("encoder", encoder.namedParameters) + prefixed("mean", meanHead.namedParameters)
            + prefixed("logvar", logVarianceHead.namedParameters) + prefixed("decoder", decoder.namedParameters)
    }

    public var configJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(config), as: UTF8.self)
    }

    public var inputSize: Int { config.inputSize }

    /// The parts of one forward pass.
    public struct Output {
        public let logits: Variable
        public let mean: Variable
        public let logVariance: Variable
        public let z: Variable
    }

    /// q(z|x): mean and log-variance, each [n, latent].
    public func encode(_ x: Variable) -> (mean: Variable, logVariance: Variable) {
        let h = encoder(x)
        return (meanHead(h), logVarianceHead(h))
    }

    /// p(x|z): pixel logits [n, inputSize].
    public func decode(_ z: Variable) -> Variable { decoder(z) }

    /// Encodes, samples z with the given standard-normal noise [n, latent], decodes.
    public func callAsFunction(_ x: Variable, noise: Tensor) -> Output {
        let (mu, logVar) = encode(x)
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: noise)
        return Output(logits: decode(z), mean: mu, logVariance: logVar, z: z)
    }

    /// Negative ELBO summed over the batch, with the reparameterisation noise given.
    public func loss(_ x: Tensor, noise: Tensor) -> LossTerms {
        let out = self(Variable(x), noise: noise)
        let reconstruction = binaryCrossEntropy(logits: out.logits, targets: x, reduction: .sum)
        let kl = klDivergenceToStandardNormal(mean: out.mean, logVariance: out.logVariance, reduction: .sum)
        return LossTerms(total: reconstruction + kl,
                         parts: [("reconstruction", reconstruction.value.scalar), ("kl", kl.value.scalar)])
    }

    public func loss(_ x: Tensor, rng: inout RandomGenerator) -> LossTerms {
        let eps = Tensor(uninitialized: [x.shape[0], config.latent])
        rng.fillNormal(eps)
        return loss(x, noise: eps)
    }

    /// Decoder means sigmoid(logits) for a sample of z given x.
    public func reconstruct(_ x: Tensor, rng: inout RandomGenerator) -> Tensor {
        let (mu, _) = encode(Variable(x))
        return decode(mu).value.map(.sigmoid)
    }

    /// Images decoded from z ~ N(0, I): [count, inputSize] in [0, 1].
    public func sample(count: Int, rng: inout RandomGenerator) -> Tensor {
        let z = Tensor(uninitialized: [count, config.latent])
        rng.fillNormal(z)
        return decode(Variable(z)).value.map(.sigmoid)
    }

    /// Reads a configuration written by `configJSON`.
    public static func config(fromJSON json: String) throws -> VAEConfig {
        guard let config = try? JSONDecoder().decode(VAEConfig.self, from: Data(json.utf8)) else {
            throw ModelError("not a valid VAE configuration: \(json)")
        }
        try config.validate()
        return config
    }
}
