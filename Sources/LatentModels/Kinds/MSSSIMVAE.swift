import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// The MS-SSIM VAE (Snell et al. 2017, "Learning to generate images with perceptual similarity metrics";
/// PyTorch-VAE's `MSSIMVAE`): the VAE's networks and KL term, with the reconstruction term w·(1 − MS-SSIM(x̂, x))
/// per image on the decoder's mean x̂ — multi-scale structural similarity (Wang et al. 2003) over five scales, each
/// a Gaussian window (σ = 1.5, zero padding so every scale keeps its size) and a 2 × 2 average pooling to the next,
/// weighed 0.0448, 0.2856, 0.3001, 0.2363, 0.1333. Two departures from PyTorch-VAE's code, both towards the paper:
/// its window is exp(+d²/2σ²) (a sign slip) and its product repeats the last scale's term four times; here the
/// window is the Gaussian and MS-SSIM = Π_{j<5} cs_j^{w_j} · ssim_5^{w_5}, each factor per image and, as
/// pytorch-msssim does against NaN, clipped below at 0 (plus 1e-6, so its power has a gradient).
public enum MSSSIMVAE: ModelFamilyMember {
    /// Encodes, decodes and samples from its prior (its loss is not a likelihood bound: no ELBO is reported).
    public static let capabilities: ModelCapabilities = [.reconstruct, .variational, .sample]
    /// The weight w under "ssimWeight" (absent: the picture's number of values) and the window under "ssimWindow".
    public static let settingKeys = ["ssimWeight", "ssimWindow"]
    /// PyTorch-VAE's window width.
    public static let defaultWindow = 11
    /// The scales' weights (Wang et al. 2003), finest first.
    public static let scaleWeights: [Float] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
    /// The smallest picture side five scales need (each halves it).
    public static let smallestSide = 16

    /// A `MSSSIMAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        MSSSIMAutoencoder(config, rng: &rng)
    }

    /// The one-dimensional Gaussian window of width `size` (σ = 1.5), summing to 1.
    public static func gaussianWindow(_ size: Int) -> [Float] {
        let centre = Double(size / 2)
        let w = (0..<size).map { exp(-(Double($0) - centre) * (Double($0) - centre) / (2 * 1.5 * 1.5)) }
        let total = w.reduce(0, +)
        return w.map { Float($0 / total) }
    }

    /// Per image (rows of `means` and `targets`, pictures of `height` × `width` × `channels` values, channels
    /// last), MS-SSIM(means, targets) as a [n, 1] variable; `means` carries the gradient.
    public static func similarity(
        _ means: Variable, _ targets: Tensor, height: Int, width: Int, channels: Int, window: Int
    ) -> Variable {
        let n = means.shape[0]
        let shape: Shape = [n, height, width, channels]
        var (a, b) = (means.reshaped(shape), Variable(targets.reshaped(shape)))
        let blur = Variable(depthwise(outer(gaussianWindow(window)), channels: channels))
        let pool = Variable(depthwise([0.25, 0.25, 0.25, 0.25], channels: channels))
        var logSimilarity: Variable?
        for (level, weight) in scaleWeights.enumerated() {
            let (cs, ssim) = terms(a, b, blur: blur, padding: window / 2)
            let last = level == scaleWeights.count - 1
            let term = ((last ? ssim : cs).relu() + 1e-6).log() * weight
            logSimilarity = logSimilarity.map { $0 + term } ?? term
            if !last {
                a = Variable.conv2d(a, weight: pool, bias: nil, stride: 2, padding: 0)
                b = Variable.conv2d(b, weight: pool, bias: nil, stride: 2, padding: 0)
            }
        }
        return logSimilarity!.exp()
    }

    /// The contrast-structure and SSIM means of one scale, per image ([n, 1] each).
    static func terms(_ a: Variable, _ b: Variable, blur: Variable, padding: Int) -> (cs: Variable, ssim: Variable) {
        func filtered(_ v: Variable) -> Variable {
            Variable.conv2d(v, weight: blur, bias: nil, stride: 1, padding: padding)
        }
        let (c1, c2): (Float, Float) = (0.01 * 0.01, 0.03 * 0.03)
        let (muA, muB) = (filtered(a), filtered(b))
        let (muAA, muBB, muAB) = (muA * muA, muB * muB, muA * muB)
        let varA = filtered(a * a) - muAA, varB = filtered(b * b) - muBB, covariance = filtered(a * b) - muAB
        let v1 = covariance * 2 + c2, v2 = varA + varB + c2
        let csMap = v1 / v2
        let ssimMap = (muAB * 2 + c1) * csMap / (muAA + muBB + c1)
        return (imageMeans(csMap), imageMeans(ssimMap))
    }

    /// The mean of each image of a [n, h, w, c] variable, as [n, 1].
    static func imageMeans(_ v: Variable) -> Variable {
        let n = v.shape[0], size = v.shape[1] * v.shape[2] * v.shape[3]
        return v.reshaped([n, size]).rowSums() * (1 / Float(size))
    }

    /// The k × k window of a one-dimensional one.
    static func outer(_ w: [Float]) -> [Float] { w.flatMap { a in w.map { a * $0 } } }

    /// A [c, c, k, k] convolution weight applying the k × k `window` to each channel alone.
    static func depthwise(_ window: [Float], channels: Int) -> Tensor {
        let area = window.count, k = Int(Double(area).squareRoot())
        let weight = Tensor(zeros: [channels, channels, k, k])
        for c in 0..<channels { (weight.data + (c * channels + c) * area).update(from: window, count: area) }
        return weight
    }

    /// 0 < w ≤ 10⁶; an odd window of 3 … 31; pictures of at least 16 × 16; the decoder's mean is the sigmoid of
    /// its logits.
    public static func validate(_ c: ModelConfig) throws {
        if let w = c.ssimWeight, !(w > 0 && w <= 1e6 && w.isFinite) {
            throw LatentError(.model, field: "ssimWeight", "expected 0 < w ≤ 1e6, got \(w)")
        }
        let window = c.ssimWindow ?? defaultWindow
        guard (3...31).contains(window), window % 2 == 1 else {
            throw LatentError(.model, field: "ssimWindow", "expected an odd width of 3 … 31, got \(window)")
        }
        guard c.imageHeight >= smallestSide, c.imageWidth >= smallestSide,
            c.imageHeight * c.imageWidth * c.channels == c.inputSize
        else {
            throw LatentError(
                .model, field: "model",
                "an msssimvae compares pictures over five scales: it needs pictures of at least 16x16, got "
                    + "\(c.imageWidth)x\(c.imageHeight) for \(c.inputSize) values")
        }
        guard c.likelihood == .bernoulli else {
            throw LatentError(
                .model, field: "likelihood",
                "an msssimvae's reconstruction term is its own (MS-SSIM of the sigmoid mean): keep bernoulli")
        }
    }
}

extension ModelConfig {
    /// The MS-SSIM VAE's weight w of 1 − MS-SSIM (nil: the picture's number of values, `inputSize`).
    public var ssimWeight: Float? {
        get { setting("ssimWeight") }
        set { setSetting("ssimWeight", newValue) }
    }

    /// The MS-SSIM VAE's Gaussian window width (nil: `MSSSIMVAE.defaultWindow`).
    public var ssimWindow: Int? {
        get { setting("ssimWindow") }
        set { setSetting("ssimWindow", newValue) }
    }
}

/// A `VariationalAutoencoder` trained on w·Σ (1 − MS-SSIM(sigmoid(logits), x)) + β·KL.
public final class MSSSIMAutoencoder: VariationalAutoencoder {
    /// w (read from the configuration once).
    public let weight: Float
    /// The window width.
    public let window: Int

    /// A new model of configuration `c`.
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        weight = c.ssimWeight ?? Float(c.inputSize)
        window = c.ssimWindow ?? MSSSIMVAE.defaultWindow
        super.init(c, rng: &rng)
    }

    /// w·Σ (1 − MS-SSIM) over the batch's images and β·KL with given standard-normal noise [n, latent]; the
    /// parts are "ms_ssim" (w·Σ (1 − MS-SSIM)) and "kl".
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let z = Variable.reparameterize(mean: mu, logVariance: logVar, noise: noise)
        let similarity = MSSSIMVAE.similarity(
            logits(z, labels: batch.labels).sigmoid(), batch.x, height: config.imageHeight, width: config.imageWidth,
            channels: config.channels, window: window)
        let dissimilarity = (similarity.sum() * -1 + Float(batch.x.shape[0])) * weight
        let kl = klDivergenceToStandardNormal(mean: mu, logVariance: logVar, reduction: .sum)
        let klTerm =
            config.freeBits.map { Variable.gaussianKLFreeBits(mean: mu, logVariance: logVar, lambda: $0) } ?? kl
        let beta = klWeight ?? config.beta
        return LossTerms(
            total: dissimilarity + (beta == 1 ? klTerm : klTerm * beta),
            parts: [("ms_ssim", dissimilarity.value.scalar), ("kl", kl.value.scalar)])
    }
}
