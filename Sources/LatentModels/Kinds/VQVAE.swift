import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// The VQ-VAE (van den Oord et al. 2017, "Neural discrete representation learning"; Pythae's `VQVAE` with its
/// `QuantizerEMA`): the autoencoder's code of `latent` values read as a row of latent / D positions of D values,
/// each replaced by its nearest entry of a codebook of K vectors. The decoder sees the quantized code, the
/// encoder gets the decoder's gradient straight through (z_e + sg(z_q − z_e), as Pythae); the loss is the
/// squared error of the decoder's sigmoid mean (Pythae's) plus β times the commitment (z_e − sg(z_q))²
/// averaged over the code's values (Pythae's and Sonnet's mean), per picture. The codebook is not trained by
/// Adam: in training each batch moves it by exponential moving averages of the encoder outputs assigned to each
/// entry (Pythae's update, counts smoothed as Laplace's), and every entry whose averaged count falls below 1% of
/// the mean is restarted at a random encoder output of the batch (Dhariwal et al. 2020, Jukebox), so that no
/// entry stays dead. Pythae reads a vector code as D = 1 (each value quantized alone), the default here. New
/// pictures come from an autoregressive prior over the code row (`latent sample --prior pixelcnn`).
public enum VQVAE: ModelFamilyMember {
    /// Encodes and decodes; the codebook's averages follow whole batches (one worker per step).
    public static let capabilities: ModelCapabilities = [.reconstruct, .wholeBatchLoss]
    /// The codebook under "quantization".
    public static let settingKeys = ["quantization"]

    /// A `VectorQuantizedAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        VectorQuantizedAutoencoder(config, rng: &rng)
    }

    /// A codebook of 2 … 65,536 entries of D values, D dividing the latent size; β in [0, 1000]; a decay in
    /// [0, 1); the Bernoulli setting (the reconstruction term is the squared error of the sigmoid mean).
    public static func validate(_ c: ModelConfig) throws {
        let q = c.quantization ?? VectorQuantization()
        guard (2...65536).contains(q.size) else {
            throw LatentError(.model, field: "codebookSize", "expected 2 … 65536 entries, got \(q.size)")
        }
        guard q.dimension >= 1, q.dimension <= c.latent, c.latent % q.dimension == 0 else {
            throw LatentError(
                .model, field: "codebookDimension",
                "expected a divisor of the latent size \(c.latent) (values per code position), got \(q.dimension)")
        }
        guard q.commitment >= 0, q.commitment <= 1000 else {
            throw LatentError(.model, field: "commitment", "expected β in [0, 1000], got \(q.commitment)")
        }
        guard q.decay >= 0, q.decay < 1 else {
            throw LatentError(.model, field: "codebookDecay", "expected a decay in [0, 1), got \(q.decay)")
        }
        guard c.likelihood == .bernoulli else {
            throw LatentError(
                .model, field: "likelihood",
                "a vqvae's reconstruction term is its own (the squared error of the sigmoid mean): keep bernoulli")
        }
    }

    /// The codebook's entries, averaged counts and averaged sums.
    public static func extraBufferCount(_ c: ModelConfig) -> Double {
        let q = c.quantization ?? VectorQuantization()
        return Double(q.size) * Double(2 * q.dimension + 1)
    }
}

/// A VQ-VAE's codebook settings.
public struct VectorQuantization: Codable, Equatable, Sendable {
    /// Entries K (Pythae's `num_embeddings`).
    public var size = 512
    /// Values per entry D: the code is a row of latent / D positions.
    public var dimension = 1
    /// The commitment weight β (Pythae's `commitment_loss_factor`).
    public var commitment: Float = 0.25
    /// The moving averages' decay (Pythae's `decay`).
    public var decay: Float = 0.99

    /// Pythae's defaults, or the given values.
    public init(size: Int = 512, dimension: Int = 1, commitment: Float = 0.25, decay: Float = 0.99) {
        (self.size, self.dimension, self.commitment, self.decay) = (size, dimension, commitment, decay)
    }
}

extension ModelConfig {
    /// The VQ-VAE's codebook (nil: `VectorQuantization()`'s defaults).
    public var quantization: VectorQuantization? {
        get { setting("quantization") }
        set { setSetting("quantization", newValue) }
    }
}

/// A codebook of K vectors of D values and its moving averages, named as Pythae's `QuantizerEMA` buffers.
public final class VectorQuantizer: Module {
    /// The settings.
    public let settings: VectorQuantization
    /// The entries [K, D], the averaged counts [K] and the averaged sums [K, D] (saved, not trained by Adam).
    public let embeddings: Parameter, clusterSize: Parameter, sums: Parameter
    /// Whether batches move the codebook (training) or only read it.
    public private(set) var isTraining = true
    /// A batch's counts [K] and sums [K, D] (kept between steps, so an update allocates nothing).
    private var batchCounts: [Float], batchSums: [Float]

    /// A codebook drawn as Pythae's: entries and sums uniform in ±1/K, counts 0.
    public init(_ settings: VectorQuantization, rng: inout RandomGenerator) {
        self.settings = settings
        let (k, d) = (settings.size, settings.dimension)
        let e = Tensor(uninitialized: [k, d]), s = Tensor(uninitialized: [k, d])
        rng.fillUniform(e, low: -1 / Float(k), high: 1 / Float(k))
        rng.fillUniform(s, low: -1 / Float(k), high: 1 / Float(k))
        (embeddings, clusterSize, sums) = (Parameter(e), Parameter(Tensor(zeros: [k])), Parameter(s))
        (batchCounts, batchSums) = ([Float](repeating: 0, count: k), [Float](repeating: 0, count: k * d))
    }

    /// Pythae's names.
    public var ownBuffers: [(name: String, parameter: Parameter)] {
        [("embeddings", embeddings), ("cluster_size", clusterSize), ("ema_embed", sums)]
    }

    /// Training moves the codebook; evaluation reads it.
    public func setOwnTraining(_ on: Bool) { isTraining = on }

    /// The index of the nearest entry to each D-value row of `z` (its values read as [m, D]): the smallest
    /// ‖e‖² − 2 z·e, by one GEMM and a vectorised search per row.
    public func nearest(_ z: Tensor) -> [Int] {
        let (k, d) = (settings.size, settings.dimension), m = z.count / d
        let rows = z.reshaped([m, d]), e = embeddings.value
        let products = Tensor.matmul(rows, e, transposeB: true)
        var norms = [Float](repeating: 0, count: k)
        for j in 0..<k { for i in 0..<d { norms[j] += e.data[j * d + i] * e.data[j * d + i] } }
        var out = [Int](repeating: 0, count: m)
        norms.withUnsafeBufferPointer { n in
            for r in 0..<m { out[r] = VectorMath.argmin(n.baseAddress!, minus: 2, times: products.data + r * k, k) }
        }
        return out
    }

    /// The entries at `indices`, shaped as `like` (the code they quantize).
    public func entries(_ indices: [Int], like: Tensor) -> Tensor {
        let d = settings.dimension, out = Tensor(uninitialized: like.shape), e = embeddings.value.data
        for (r, j) in indices.enumerated() { (out.data + r * d).update(from: e + j * d, count: d) }
        return out
    }

    /// One training batch's move (Pythae's `QuantizerEMA.forward`): counts and sums averaged with decay μ, the
    /// counts smoothed as Laplace's, entries = sums / counts; then every entry whose count is below 1% of the mean
    /// restarts at an encoder output of the batch drawn with `seed` (its sum set to that output times its count).
    public func update(_ z: Tensor, indices: [Int], seed: UInt64) {
        let (k, d, mu) = (settings.size, settings.dimension, settings.decay), m = indices.count
        let counts = clusterSize.value.data, sum = sums.value.data, e = embeddings.value.data
        for j in 0..<k { batchCounts[j] = 0 }
        for i in 0..<(k * d) { batchSums[i] = 0 }
        for (r, j) in indices.enumerated() {
            batchCounts[j] += 1
            for i in 0..<d { batchSums[j * d + i] += z.data[r * d + i] }
        }
        var total: Double = 0
        for j in 0..<k {
            counts[j] = counts[j] * mu + batchCounts[j] * (1 - mu)
            total += Double(counts[j])
            for i in 0..<d { sum[j * d + i] = sum[j * d + i] * mu + batchSums[j * d + i] * (1 - mu) }
        }
        let n = Float(total), floor = 0.01 * n / Float(k)
        var rng = RandomGenerator(seed: seed)
        for j in 0..<k {
            counts[j] = (counts[j] + 1e-5) / (n + Float(k) * 1e-5) * n
            if counts[j] < floor, m > 0 {
                let r = Int(rng.next() % UInt64(m))
                for i in 0..<d { sum[j * d + i] = z.data[r * d + i] * counts[j] }
            }
            for i in 0..<d { e[j * d + i] = sum[j * d + i] / counts[j] }
        }
    }
}

/// An `Autoencoder` whose code is quantized by a codebook (see `VQVAE`).
public final class VectorQuantizedAutoencoder: Autoencoder, MeasuredModel {
    /// The codebook.
    public let quantizer: VectorQuantizer

    /// A new model of configuration `c` (the codebook drawn after the networks).
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        var own = RandomGenerator(seed: rng.next())
        quantizer = VectorQuantizer(c.quantization ?? VectorQuantization(), rng: &own)
        super.init(c, lastActivation: nil, rng: &rng)
    }

    /// The autoencoder's networks, then the codebook.
    public override var namedChildren: [(name: String, module: any Module)] {
        super.namedChildren + [("quantizer", quantizer)]
    }

    /// The objective on `batch`: the squared error of the decoder's mean on the quantized codes and β times the
    /// commitment (the mean over each code's values), summed over the batch (parts "reconstruction",
    /// "commitment"); in training the batch then moves the codebook. Draws one seed from `rng` (the restarts').
    public override func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let seed = rng.next()
        let z = codeLayer(body(Variable(batch.x)))
        let indices = quantizer.nearest(z.value)
        let quantized = quantizer.entries(indices, like: z.value)
        if quantizer.isTraining { quantizer.update(z.value, indices: indices, seed: seed) }
        let straight = z + Variable(quantized - z.value)
        let error = Variable.sigmoidSquaredError(logits: decoder(straight), targets: batch.x)
        let commitment = (z - Variable(quantized)).square().sum()
        let beta = quantizer.settings.commitment / Float(config.latent)
        return LossTerms(
            total: error + commitment * beta,
            parts: [("reconstruction", error.value.scalar), ("commitment", commitment.value.scalar * beta)])
    }

    /// Draws what `loss` draws: one seed.
    public override func skipNoise(rows: Int, rng: inout RandomGenerator) { _ = rng.next() }

    /// The quantized code of each row of `x`.
    public override func encode(_ x: Tensor, labels: [Int]) -> Tensor { quantize(super.encode(x, labels: labels)) }

    /// Codes replaced by their nearest entries.
    public func quantize(_ z: Tensor) -> Tensor { quantizer.entries(quantizer.nearest(z), like: z) }

    /// The codebook index of each position of each row's code: [n, latent / D].
    public func codeIndices(_ x: Tensor) -> [Int] { quantizer.nearest(super.encode(x, labels: [])) }

    /// The decoder's logits of the quantized codes `z`.
    public override func decodeLogits(_ z: Tensor, labels: [Int]) -> Tensor {
        super.decodeLogits(quantize(z), labels: labels)
    }

    /// No plan: the graph trains it.
    public override func plannedStep(
        parameters: ParameterSet, gradients: Tensor, rows: Int
    ) -> (any PlannedStep)? { nil }

    /// codebook_perplexity (e^entropy of the entries' use over the batches), codebook_used and dead_codes.
    public func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)] {
        var uses = [Double](repeating: 0, count: quantizer.settings.size)
        forEachBatch { batch in for j in codeIndices(batch.x) { uses[j] += 1 } }
        let total = uses.reduce(0, +)
        let entropy = uses.reduce(0.0) { h, u in u > 0 ? h - u / total * log(u / total) : h }
        let used = uses.filter { $0 > 0 }.count
        return [
            ("codebook_perplexity", exp(entropy)), ("codebook_used", Double(used)),
            ("dead_codes", Double(uses.count - used)),
        ]
    }
}
