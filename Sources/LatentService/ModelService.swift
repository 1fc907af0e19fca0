import Foundation
import LatentCheckpoint
import LatentData
import LatentEval
import LatentModels
import LatentRender
import LatentStats
import LatentTensor

/// A trained model loaded once, answering questions about its latent space — encode, decode, reconstruct,
/// sample, interpolate, the map of the test codes — with every input checked and every size bounded. It is what
/// `latent serve` calls for each request, and what any other program that embeds a model can call. Read-only
/// after `init`, so many threads may call it at once (each call works in buffers of its own). Examples go in and
/// come out in the data's own units: pictures in [0, 1], a table's rows as in its file (the model's saved
/// scaling is applied on the way in and undone on the way out).
public final class ModelService: @unchecked Sendable {
    /// Most codes or images one call takes or makes.
    public static let maxRows = 1024
    /// Most images on an interpolation path.
    public static let maxSteps = 256
    /// Most points of the code map one call returns.
    public static let maxMapPoints = 10_000
    /// The largest magnitude of a value given to the model (beyond it, layers could overflow to infinity).
    public static let maxMagnitude: Float = 1e6

    /// The run directory (or checkpoint file) the model came from.
    public let source: URL
    /// The model's configuration.
    public var config: ModelConfig { loaded.config }
    /// The model and its metadata.
    public let loaded: ModelStore.Loaded<any ReconstructingModel>
    /// The test split's codes in 2-d, with labels; nil when the data could not be read (`mapProblem` says why).
    public let map: CodeMap?
    /// Why there is no map, when there is none.
    public let mapProblem: String?
    /// The traversals' rows and units, measured on the test split; nil when there is none or the code has
    /// categorical variables (`traversalProblem` says which).
    public let traversalAxes: TraversalAxes?
    /// Why there are no traversals, when there are none (what `traversal` says).
    public let traversalProblem: String?
    /// Most steps of a traversal row.
    public static let maxTraversalSteps = 32

    /// Loads the model in `url` and maps the codes of its recorded test split (`mapLimit` examples at most;
    /// `notes` hears what is happening). Throws what `ModelStore.loadReconstructing` throws.
    public init(_ url: URL, mapLimit: Int = 5000, notes: (String) -> Void = { _ in }) throws {
        source = url
        loaded = try ModelStore.loadReconstructing(url)
        do {
            let recorded = loaded.data?.source(directory: nil) ?? .named("mnist", directory: nil)
            let raw = try recorded.load(.test, notes: notes)
            let test = try TrainingData.forModel(
                loaded.config, scaling: loaded.scaling, columns: loaded.data?.columns, classes: loaded.data?.classes,
                raw)
            map = try CodeMap(loaded.model, test.prefix(min(mapLimit, test.count)))
            mapProblem = nil
            do {
                traversalAxes = try TraversalAxes(loaded.model, probe: test.prefix(min(2000, test.count)))
                traversalProblem = nil
            } catch {
                traversalAxes = nil
                traversalProblem = (error as? LatentError)?.message ?? "no traversals: \(error)"
            }
        } catch {
            map = nil
            mapProblem = "the model's test data cannot be read: \(error)"
            (traversalAxes, traversalProblem) = (nil, mapProblem)
            notes("no code map: \(mapProblem!)")
        }
    }

    /// Features per example (pixels × channels, or table columns).
    public var inputSize: Int { config.inputSize }

    /// Posterior means (a VAE also log-variances) of `rows` examples given as row-major features.
    public func encode(_ features: [Float], rows: Int, labels: [Int]?) throws -> Encoding {
        let x = try examples(features, rows: rows)
        let labels = try checkedLabels(labels, rows: rows)
        if let vae = loaded.model as? VariationalAutoencoder {
            let (mean, logVariance) = vae.encodeDistribution(x, labels: labels)
            return Encoding(mean: mean, logVariance: logVariance)
        }
        return Encoding(mean: loaded.model.encode(x, labels: labels), logVariance: nil)
    }

    /// Output means for `rows` codes given row-major, in the data's units.
    public func decode(_ codes: [Float], rows: Int, labels: [Int]?) throws -> Tensor {
        let z = try tensor(codes, rows: rows, columns: config.latent, field: "codes")
        return inDataUnits(loaded.model.decode(z, labels: try checkedLabels(labels, rows: rows)))
    }

    /// decode(encode(x)) for `rows` examples.
    public func reconstruct(_ features: [Float], rows: Int, labels: [Int]?) throws -> Tensor {
        let x = try examples(features, rows: rows)
        return inDataUnits(loaded.model.reconstruct(x, labels: try checkedLabels(labels, rows: rows)))
    }

    /// `count` images from the prior (a VAE, CVAE or IWAE; a CVAE of `label`), reproducible by `seed`.
    public func sample(count: Int, label: Int?, seed: UInt64) throws -> Tensor {
        guard let vae = loaded.model as? any GenerativeModel else {
            throw LatentError(
                .model, "a \(config.kind.rawValue) has no prior to sample; sampling needs a generative model")
        }
        try Self.bounded(count, field: "count", 1...Self.maxRows)
        let labels = try checkedLabels(label.map { Array(repeating: $0, count: count) }, rows: count)
        var rng = RandomGenerator(seed: seed, stream: .pictures)
        return inDataUnits(vae.sample(labels: labels.isEmpty ? Array(repeating: 0, count: count) : labels, rng: &rng))
    }

    /// `steps` images decoded along the straight line from code `from` to code `to` (ends included).
    public func interpolate(from: [Float], to: [Float], steps: Int, label: Int?) throws -> Tensor {
        _ = try tensor(from, rows: 1, columns: config.latent, field: "from")
        _ = try tensor(to, rows: 1, columns: config.latent, field: "to")
        try Self.bounded(steps, field: "steps", 2...Self.maxSteps)
        let labels = try checkedLabels(label.map { Array(repeating: $0, count: steps) }, rows: steps)
        return inDataUnits(loaded.model.decode(Codes.path(from: from, to: to, steps: steps), labels: labels))
    }

    /// Latent traversals around `code`: one row of `steps` images per code dimension, rows and units as
    /// `traversalAxes` (a variational model's dimensions by KL over −range … range; others by variance, in
    /// standard deviations), range in (0, 10].
    public func traversal(around code: [Float], range: Double, steps: Int, label: Int?) throws -> Tensor {
        guard let axes = traversalAxes else { throw LatentError(.model, traversalProblem ?? "no traversals") }
        _ = try tensor(code, rows: 1, columns: config.latent, field: "code")
        try Self.bounded(steps, field: "steps", 2...Self.maxTraversalSteps)
        guard range > 0, range <= 10 else {
            throw LatentError(.model, field: "range", "expected a range in (0, 10], got \(range)")
        }
        let rows = config.latent * steps
        let labels = try checkedLabels(label.map { Array(repeating: $0, count: rows) }, rows: rows)
        return inDataUnits(
            loaded.model.decode(axes.codes(around: code, range: range, steps: steps), labels: labels))
    }

    /// The first `limit` points of the test codes' map.
    public func codes(limit: Int) throws -> CodeMap {
        guard let map else { throw LatentError(.data, mapProblem ?? "no code map") }
        try Self.bounded(limit, field: "limit", 1...Self.maxMapPoints)
        return map.prefix(limit)
    }

    /// A PNG of `images` in rows of about `columns` (one image: no frame), `scale` pixels per value. The grid is
    /// kept within 8192 pixels a side: the scale is lowered and the columns moved as needed to fit; a grid that
    /// cannot fit even so is refused.
    public func png(_ images: Tensor, columns: Int = 1, scale: Int = 1) throws -> Data {
        let images = modelUnits(images)
        let n = images.shape[0], w = config.imageWidth, h = config.imageHeight, side = 8192
        let single = n == 1, gap = single ? 0 : 1
        var s = max(1, scale)
        while s > 1 && (side / (w * s + gap)) * (side / (h * s + gap)) < n { s -= 1 }
        let fitColumns = side / (w * s + gap), fitRows = side / (h * s + gap)
        guard fitColumns * fitRows >= n else {
            throw LatentError(
                .render, field: "count", "\(n) pictures of \(w)x\(h) do not fit in 8192x8192 pixels; ask for fewer")
        }
        let columns = min(max(columns, (n + fitRows - 1) / fitRows, 1), fitColumns, n)
        return try ImageGrid.png(
            images, height: h, width: w, channels: config.channels, columns: columns, scale: s, gap: gap)
    }

    /// The largest picture a request may upload: 2^24 pixels (a 12-megapixel phone photo, 4096 x 4096), ~50 MB
    /// decoded — a bound on what one request can make the server hold.
    public static let maxPicturePixels = 1 << 24

    /// A PNG or JPEG file (at most `maxPicturePixels`) as the model's input: decoded, scaled to cover its size
    /// and centre-cropped, in [0, 1].
    public func features(picture: Data) throws -> [Float] {
        guard config.imageHeight > 1, config.imageHeight * config.imageWidth * config.channels == inputSize else {
            throw LatentError(
                .data, field: "picture", "this model reads table rows of \(inputSize) values, not pictures")
        }
        let image: DecodedImage
        do {
            image = try ImageDecoder.decode(
                picture, name: "picture", channels: config.channels, limit: Self.maxPicturePixels,
                covering: (config.imageWidth, config.imageHeight))
        } catch let error as LatentError { throw LatentError(.data, field: "picture", error.message) }
        let bytes = ImageResize.fit(image, width: config.imageWidth, height: config.imageHeight)
        return bytes.map { Float($0) / 255 }
    }

    /// The training curves: each line of the run's metrics.jsonl as it was written (empty when there is none).
    public func metricsLines() -> [String] {
        let file = source.appendingPathComponent("metrics.jsonl")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// The saved scaling of a table model (nil: the model reads the data as it is).
    public var scaling: FeatureScaling? { loaded.scaling.flatMap { $0.kind == .none ? nil : $0 } }

    /// Examples in the data's units as the model's input, checked before and after the saved scaling.
    func examples(_ features: [Float], rows: Int) throws -> Tensor {
        let x = try tensor(features, rows: rows, columns: inputSize, field: "pixels")
        if let scaling {
            scaling.apply(x)
            if let bad = (0..<x.count).first(where: { !(abs(x.data[$0]) <= Self.maxMagnitude) }) {
                throw LatentError(
                    .data, field: "pixels",
                    "value \(bad) is \(features[bad]), \(x.data[bad]) once scaled as in training; "
                        + "expected it within ±1e6")
            }
        }
        // As `train` and `eval` do: a Bernoulli likelihood is a distribution over unscaled values in [0, 1].
        if config.likelihood == .bernoulli && config.isReconstructing && scaling == nil,
            let bad = (0..<x.count).first(where: { !(0...1).contains(x.data[$0]) })
        {
            throw LatentError(
                .data, field: "pixels",
                "value \(bad) is \(features[bad]); this model's Bernoulli likelihood reads values in [0, 1]")
        }
        return x
    }

    /// The model's outputs in the data's units (its saved scaling undone), in place.
    func inDataUnits(_ outputs: Tensor) -> Tensor {
        scaling?.restore(outputs)
        return outputs
    }

    /// A copy of examples in the data's units as the model sees them (what a picture of them shows).
    func modelUnits(_ examples: Tensor) -> Tensor {
        guard let scaling else { return examples }
        let copy = Tensor(examples.array, shape: examples.shape)
        scaling.apply(copy)
        return copy
    }

    /// Row-major values as a tensor [rows, columns], refusing wrong sizes and values that are not finite.
    func tensor(_ values: [Float], rows: Int, columns: Int, field: String) throws -> Tensor {
        try Self.bounded(rows, field: field, 1...Self.maxRows)
        guard values.count == rows * columns else {
            throw LatentError(
                .data, field: field,
                "expected \(rows) row\(rows == 1 ? "" : "s") of \(columns) values, got \(values.count) values")
        }
        if let bad = values.firstIndex(where: { !(abs($0) <= Self.maxMagnitude) }) {
            throw LatentError(.data, field: field, "value \(bad) is \(values[bad]); expected a number within ±1e6")
        }
        return Tensor(values, shape: [rows, columns])
    }

    /// A CVAE's labels, one per row and within its classes; other models take none.
    /// The class numbers `given` name (numbers, or the training data's class names), for a CVAE; nil stays nil.
    public func classNumbers(_ given: [String]?) throws -> [Int]? {
        try given?.map { text in
            guard config.isConditional else {
                throw LatentError(.model, field: "label", "only a conditional model takes labels")
            }
            return try ClassLabel.number(text, for: config, names: loaded.data?.classes)
        }
    }

    func checkedLabels(_ labels: [Int]?, rows: Int) throws -> [Int] {
        guard config.isConditional else {
            if labels != nil { throw LatentError(.model, field: "label", "only a conditional model takes labels") }
            return []
        }
        guard let labels else {
            throw LatentError(.model, field: "label", "this conditional model needs a label 0…\(config.classes - 1)")
        }
        guard labels.count == rows else {
            throw LatentError(.model, field: "labels", "expected \(rows) labels, got \(labels.count)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= config.classes }) {
            throw LatentError(.model, field: "label", "expected 0…\(config.classes - 1), got \(bad)")
        }
        return labels
    }

    /// Refuses a count outside `range`, naming the field.
    static func bounded(_ value: Int, field: String, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw LatentError(.data, field: field, "expected \(range.lowerBound)…\(range.upperBound), got \(value)")
        }
    }
}

/// Codes of examples as the encoder gives them: means, and for a VAE the log-variances.
public struct Encoding: @unchecked Sendable {  // tensors made for one caller
    /// Posterior means (an AE: the codes), [n, latent].
    public let mean: Tensor
    /// Posterior log-variances [n, latent], nil for a deterministic encoder.
    public let logVariance: Tensor?
}
