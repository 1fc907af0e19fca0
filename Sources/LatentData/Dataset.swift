import LatentTensor

/// A labelled dataset kept as the values it was stored in, one row of `featureCount` per example: images as
/// their raw bytes (so batches are built straight from uint8 without a float copy of the whole set), tables
/// (CSV, NPY) as floats. Images have a height, width and channels (1 grey, 3 RGB, interleaved: row-major
/// height × width × channels); a table is one row of `featureCount` "pixels".
public struct Dataset: Sendable {
    /// A name for titles and errors ("mnist-train", a table's file name).
    public let name: String
    /// Examples × features, row-major, 0…255 (images); empty for a float table.
    public let pixels: [UInt8]
    /// Examples × features, row-major (tables); nil for images.
    public let values: [Float]?
    /// One class label per example (0…9 for MNIST; 0 for unlabelled tables).
    public let labels: [UInt8]
    /// Number of examples.
    public let count: Int
    /// Image height and width (features = height · width · channels); 1 × features for a table.
    public let height: Int, width: Int
    /// Colour channels per pixel: 1 (grey) or 3 (RGB); 1 for a table.
    public let channels: Int
    /// Features per example.
    public var featureCount: Int { height * width * channels }
    /// Whether the labels are real: false for a table read without a label column (every label 0), which
    /// models that need labels (CVAE, classifier, semi-supervised learning) refuse.
    public internal(set) var isLabelled = true
    /// The labels as numbers where they are real, nil for unlabelled data: what a table of codes, a scatter's
    /// colours or a neighbour accuracy may use (an unlabelled set's zeros would make them up).
    public var knownLabels: [Int]? { isLabelled ? labels.map(Int.init) : nil }
    /// What examples are called in rates and counts: "images" or "rows" (of a table).
    public var examplesName: String { isImage ? "images" : "rows" }
    /// What one example is called: "image" or "row".
    public var exampleName: String { isImage ? "image" : "row" }
    /// A table's column names (a CSV's header, the label column left out); nil for pictures and unnamed columns.
    public internal(set) var featureNames: [String]?
    /// The classes' names (label i is `classNames[i]`): an image folder's class folders, a table's label column
    /// of names; nil where labels are numbers only.
    public internal(set) var classNames: [String]?
    /// How messages and files name class `label`: its name where the data named its classes, else the number.
    public func className(_ label: Int) -> String { Self.className(label, in: classNames) }
    /// Class `label` by its name in `names` where there is one, else by its number.
    public static func className(_ label: Int, in names: [String]?) -> String {
        guard let names, names.indices.contains(label) else { return String(label) }
        return names[label]
    }
    /// Up to eight names for a message, then how many there are ("a, b, c, …, (12 columns)").
    package static func listed(_ names: [String], noun: String) -> String {
        names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", … (\(names.count) \(noun))" : "")
    }
    /// The ground-truth factors of variation of each example, for a generated dataset (`DSprites`); nil for others.
    public internal(set) var factors: FactorLabels?
    /// Whether a label value is a class number as Latent stores them (a whole number 0…255).
    static func isClassNumber(_ value: Float) -> Bool { value >= 0 && value <= 255 && value == value.rounded() }
    /// Whether the examples are images (uint8 pixels) rather than rows of a table.
    public var isImage: Bool { values == nil }

    /// An image dataset of uint8 pixels (height × width × channels per image); throws if the sizes do not fit.
    public init(
        name: String, pixels: [UInt8], labels: [UInt8], height: Int, width: Int, channels: Int = 1
    ) throws {
        let features = height * width * channels
        guard features > 0, channels == 1 || channels == 3, pixels.count % features == 0 else {
            throw LatentError(
                .data, "\(name): \(pixels.count) bytes do not form \(width)x\(height) images of \(channels) channels")
        }
        guard labels.count == pixels.count / features else {
            throw LatentError(.data, "\(name): \(pixels.count / features) images but \(labels.count) labels")
        }
        self.name = name
        self.pixels = pixels
        self.values = nil
        self.labels = labels
        self.count = labels.count
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// A table of float rows.
    public init(name: String, values: [Float], labels: [UInt8], features: Int) throws {
        guard features > 0, values.count % features == 0, labels.count == values.count / features else {
            throw LatentError(
                .data, "\(name): \(values.count) values do not form \(labels.count) rows of \(features) features")
        }
        self.name = name
        self.pixels = []
        self.values = values
        self.labels = labels
        self.count = labels.count
        self.height = 1
        self.width = features
        self.channels = 1
    }

    /// Writes examples `indices` into `batch` ([indices.count, features]): pixels scaled to [0, 1], table
    /// values as they are.
    public func fill(_ batch: Tensor, indices: ArraySlice<Int>) {
        let f = featureCount
        precondition(batch.count == indices.count * f, "batch \(batch.shape) for \(indices.count) examples of \(f)")
        if let values {
            values.withUnsafeBufferPointer { src in
                for (row, index) in indices.enumerated() {
                    (batch.data + row * f).update(from: src.baseAddress! + index * f, count: f)
                }
            }
            return
        }
        let scale: Float = 1 / 255
        pixels.withUnsafeBufferPointer { src in
            for (row, index) in indices.enumerated() {
                let s = src.baseAddress! + index * f, d = batch.data + row * f
                for j in 0..<f { d[j] = Float(s[j]) * scale }
            }
        }
    }

    /// Examples `range` in order, as a new [n, features] tensor.
    public func batch(_ range: Range<Int>) -> Tensor {
        let t = Tensor(uninitialized: [range.count, featureCount])
        fill(t, indices: ArraySlice(Array(range)))
        return t
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int], name: String? = nil) -> Dataset {
        let f = featureCount
        let lb = indices.map { labels[$0] }
        if let values {
            var v = [Float]()
            v.reserveCapacity(indices.count * f)
            for i in indices { v.append(contentsOf: values[(i * f)..<((i + 1) * f)]) }
            return labelled(try! Dataset(name: name ?? self.name, values: v, labels: lb, features: f), rows: indices)
        }
        var px = [UInt8]()
        px.reserveCapacity(indices.count * f)
        for i in indices { px.append(contentsOf: pixels[(i * f)..<((i + 1) * f)]) }
        return labelled(
            try! Dataset(
                name: name ?? self.name, pixels: px, labels: lb, height: height, width: width, channels: channels),
            rows: indices)
    }

    /// This dataset with its labels numbered as in `names` (a saved model's classes), matched by class name;
    /// throws naming the classes `names` lacks. Unchanged where the labels have no names (unless the model's
    /// classes are numbers: then each class number is read as the number it names).
    public func relabelled(to names: [String]) throws -> Dataset {
        // A model whose classes are numbers (a label column of −1 and 1) reads class numbers as those numbers.
        let numbers = isLabelled && names.allSatisfy { Float($0) != nil } ? (0...255).map(String.init) : nil
        guard let classNames = classNames ?? numbers, classNames != names else { return self }
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let unknown = classes(missingFrom: names)
        guard unknown.isEmpty else {
            throw LatentError(
                .data, field: "data",
                "\(name) has classes the model was not trained on: \(unknown.joined(separator: ", ")) "
                    + "(it knows \(names.joined(separator: ", ")))")
        }
        let map = classNames.map { index[$0].map(UInt8.init) ?? 0 }
        let relabelled = labels.map { map[Int($0)] }
        var d =
            if let values {
                try Dataset(name: name, values: values, labels: relabelled, features: featureCount)
            } else {
                try Dataset(
                    name: name, pixels: pixels, labels: relabelled, height: height, width: width, channels: channels)
            }
        (d.isLabelled, d.featureNames, d.classNames, d.factors) = (isLabelled, featureNames, names, factors)
        return d
    }

    /// The names of this dataset's classes (numbers where it has no names) that `names` lacks, sorted.
    public func classes(missingFrom names: [String]) -> [String] {
        let known = Set(names)
        return Set(labels).map { className(Int($0)) }.filter { !known.contains($0) }.sorted()
    }

    /// This dataset followed by `other` (same features and storage).
    public func appending(_ other: Dataset) -> Dataset {
        precondition(
            other.featureCount == featureCount && other.isImage == isImage, "appending datasets of different shapes")
        var joined =
            if let values {
                labelled(
                    try! Dataset(
                        name: name, values: values + other.values!, labels: labels + other.labels,
                        features: featureCount))
            } else {
                labelled(
                    try! Dataset(
                        name: name, pixels: pixels + other.pixels, labels: labels + other.labels, height: height,
                        width: width, channels: channels))
            }
        if let factors, let more = other.factors, more.names == factors.names, more.sizes == factors.sizes {
            joined.factors = factors.appending(more)
        } else {
            joined.factors = nil
        }
        return joined
    }

    /// Every value drawn once as Bernoulli(intensity) (pixels stored as 0 or 255, table values as 0 or 1): the
    /// fixed binarisation of a test set that models trained with dynamic binarisation are judged on.
    public func binarized(seed: UInt64) -> Dataset {
        var rng = RandomGenerator(seed: seed, stream: .testBinarization)
        if let values {
            return labelled(
                try! Dataset(
                    name: name + " (binarised)", values: values.map { rng.uniform() < $0 ? 1 : 0 }, labels: labels,
                    features: featureCount))
        }
        let scale: Float = 1 / 255
        let bits = pixels.map { rng.uniform() < Float($0) * scale ? UInt8(255) : 0 }
        return labelled(
            try! Dataset(
                name: name + " (binarised)", pixels: bits, labels: labels, height: height, width: width,
                channels: channels))
    }

    /// The examples whose label is not `label` (e.g. training on "normal" digits only, for anomaly detection).
    public func excluding(label: Int) -> Dataset {
        subset((0..<count).filter { Int(labels[$0]) != label }, name: "\(name) without \(className(label))")
    }

    /// The training subset of a run: without `excludingLabel`'s examples, then the first `limit`.
    public func trainingSubset(excludingLabel label: Int?, limit: Int?) -> Dataset {
        var subset = self
        if let label { subset = subset.excluding(label: label) }
        if let limit { subset = subset.prefix(limit) }
        return subset
    }

    /// The first `n` examples (a smaller set for quick runs and tests).
    public func prefix(_ n: Int) -> Dataset {
        subset(Array(0..<min(n, count)))
    }

    /// Every value mapped by a per-feature affine transform (x − shift) / scale (tables only).
    public func scaled(_ scaling: FeatureScaling) -> Dataset {
        guard let values, scaling.kind != .none else { return self }
        let f = featureCount
        var v = values
        for i in 0..<count { for j in 0..<f { v[i * f + j] = (v[i * f + j] - scaling.shift[j]) / scaling.scale[j] } }
        return labelled(try! Dataset(name: name, values: v, labels: labels, features: f))
    }

    /// `data` with this dataset's `isLabelled`, `featureNames` and `classNames`, and its factors of the examples
    /// `rows` (nil: all, in order).
    private func labelled(_ data: Dataset, rows: [Int]? = nil) -> Dataset {
        var d = data
        (d.isLabelled, d.featureNames, d.classNames) = (isLabelled, featureNames, classNames)
        d.factors = rows.map { factors?.rows($0) } ?? factors
        return d
    }

    /// The smallest and largest value of a table (pixels: 0…1).
    public var valueRange: ClosedRange<Float> {
        guard let values, let lo = values.min(), let hi = values.max() else { return 0...1 }
        return lo...hi
    }
}

/// Per-feature scaling of a table, fitted on the training rows and saved with the model so that every later
/// command sees the data the model was trained on: standardisation (mean 0, variance 1) or min-max to [0, 1].
public struct FeatureScaling: Codable, Equatable, Sendable {
    /// Standardisation, min-max, or none.
    public enum Kind: String, Codable, CaseIterable, Sendable { case none, standard, minmax }
    /// Which kind.
    public var kind: Kind
    /// Subtracted from each feature.
    public var shift: [Float]
    /// Then divided into each feature.
    public var scale: [Float]

    /// A scaling with these per-feature values.
    public init(kind: Kind, shift: [Float], scale: [Float]) {
        self.kind = kind
        self.shift = shift
        self.scale = scale
    }

    /// Rows of scaled features [n, f] back in the table's own units: x · scale + shift, in place.
    public func restore(_ rows: Tensor) {
        guard kind != .none, rows.shape.rank == 2, rows.shape[1] == shift.count else { return }
        let f = shift.count
        for i in 0..<rows.shape[0] {
            for j in 0..<f { rows.data[i * f + j] = rows.data[i * f + j] * scale[j] + shift[j] }
        }
    }

    /// Rows [n, f] in the table's own units scaled as the model sees them: (x − shift) / scale, in place.
    public func apply(_ rows: Tensor) {
        guard kind != .none, rows.shape.rank == 2, rows.shape[1] == shift.count else { return }
        let f = shift.count
        for i in 0..<rows.shape[0] {
            for j in 0..<f { rows.data[i * f + j] = (rows.data[i * f + j] - shift[j]) / scale[j] }
        }
    }

    /// Fits `kind` on the rows of a table. Constant features keep scale 1.
    public static func fit(_ kind: Kind, on data: Dataset) -> FeatureScaling {
        let f = data.featureCount, n = data.count
        guard kind != .none, let values = data.values, n > 0 else {
            return FeatureScaling(kind: .none, shift: [], scale: [])
        }
        var shift = [Float](repeating: 0, count: f), scale = [Float](repeating: 1, count: f)
        for j in 0..<f {
            var lo = Float.infinity, hi = -Float.infinity, sum = 0.0, sq = 0.0
            for i in 0..<n {
                let v = values[i * f + j]
                lo = min(lo, v)
                hi = max(hi, v)
                sum += Double(v)
                sq += Double(v) * Double(v)
            }
            switch kind {
            case .minmax:
                shift[j] = lo
                scale[j] = hi > lo ? hi - lo : 1
            case .standard:
                let mean = sum / Double(n), variance = max(0, sq / Double(n) - mean * mean)
                shift[j] = Float(mean)
                scale[j] = variance > 1e-12 ? Float(variance.squareRoot()) : 1
            case .none: break
            }
        }
        return FeatureScaling(kind: kind, shift: shift, scale: scale)
    }
}

extension Dataset {
    /// A table whose rows are pictures ([height, width, channels], from an NPY image array) as an image dataset:
    /// float arrays hold 0…1 and integer arrays 0…255 (by dtype, never guessed from the values: a float array
    /// reaching 1.5 is refused rather than read on the 0–255 scale), stored as 8-bit pixels. Throws for other
    /// ranges or shapes. `notes` hears how far rounding to 8 bits moved any value, when it moved one (floats).
    public func asImages(_ shape: [Int], floating: Bool, notes: (String) -> Void = { _ in }) throws -> Dataset {
        guard let values, shape.count == 3, shape[0] * shape[1] * shape[2] == featureCount else {
            throw LatentError(
                .data, "\(name): rows of \(featureCount) values are not images of shape \(shape) (a label column?)")
        }
        let range = valueRange
        let top: Float = floating ? 1 : 255
        guard range.lowerBound >= 0, range.upperBound <= top else {
            let remedy =
                floating
                ? "float pictures must hold 0…1: divide 0–255 values by 255, or save them as uint8"
                : "integer pictures must hold 0…255"
            throw LatentError(
                .data, "\(name): image values span [\(range.lowerBound), \(range.upperBound)]; \(remedy)")
        }
        let scale: Float = floating ? 255 : 1
        let pixels = values.map { UInt8(($0 * scale).rounded()) }
        var moved: Float = 0
        for (v, p) in zip(values, pixels) { moved = max(moved, abs(v * scale - Float(p))) }
        if moved > 0 {
            notes(
                String(
                    format: "%@: pictures are kept as 8-bit pixels; rounding moved values by up to %.4g of %@",
                    name, Double(moved / scale), scale == 255 ? "the 0…1 range" : "255"))
        }
        var data = try Dataset(
            name: name, pixels: pixels, labels: labels, height: shape[0], width: shape[1], channels: shape[2])
        (data.isLabelled, data.classNames) = (isLabelled, classNames)
        return data
    }
}
