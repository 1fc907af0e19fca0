import Foundation
import LatentData
import LatentModels
import LatentTensor

/// A model's codes as data: the codes of a dataset, with its labels as a table, and straight paths between
/// codes (`latent encode`, `latent interpolate`).
public enum Codes {
    /// The codes (posterior means) of every example of `data`, [n, latent], in order.
    public static func encode(_ model: any ReconstructingModel, _ data: Dataset) -> Tensor {
        stacked(data, width: model.config.latent) { model.encode($0.x, labels: $0.labels) }
    }

    /// The reconstructions (decoder means at the codes) of every example of `data`, [n, features], in order.
    public static func reconstruct(_ model: any ReconstructingModel, _ data: Dataset) -> Tensor {
        stacked(data, width: model.config.inputSize) { model.reconstruct($0.x, labels: $0.labels) }
    }

    /// `rows(batch)` ([batch, width]) for every evaluation batch of `data`, stacked in order into [n, width].
    static func stacked(_ data: Dataset, width: Int, _ rows: (Batch) -> Tensor) -> Tensor {
        let all = Tensor(uninitialized: [data.count, width])
        Evaluation.forEachBatch(data) { batch, range in
            let part = rows(batch)
            (all.data + range.lowerBound * width).update(from: part.data, count: part.count)
        }
        return all
    }

    /// The codes of `data` with each example's label as a last column where the data has labels: row-major
    /// [n, latent (+ 1)] floats and the column names (`z0`, `z1`, …, `label`), as `latent encode` writes them.
    public static func table(_ model: any ReconstructingModel, _ data: Dataset) -> (values: [Float], columns: [String])
    {
        table(encode(model, data), labels: data.knownLabels, prefix: "z")
    }

    /// Rows [n, d] with their labels (if known) as a last column: row-major floats and the column names
    /// (`prefix`0, `prefix`1, …, `label`).
    public static func table(_ rows: Tensor, labels: [Int]?, prefix: String) -> (values: [Float], columns: [String]) {
        let n = rows.shape[0], d = rows.shape[1], width = d + (labels == nil ? 0 : 1)
        var values = [Float](repeating: 0, count: n * width)
        for i in 0..<n {
            for j in 0..<d { values[i * width + j] = rows[i, j] }
            if let labels { values[i * width + d] = Float(labels[i]) }
        }
        return (values, (0..<d).map { "\(prefix)\($0)" } + (labels == nil ? [] : ["label"]))
    }

    /// Images decoded from the rows of a codes table (as `latent encode` writes it): a CVAE decodes each row with
    /// `label`, else with the table's labels. With a table's `scaling`, the rows come back in the table's own
    /// units (the inverse of what `latent encode` applied). Throws for rows that are not codes of this model.
    public static func decode(
        _ model: any ReconstructingModel, codes: Dataset, labelled: Bool, label: Int?, scaling: FeatureScaling? = nil
    ) throws
        -> Tensor
    {
        let c = model.config
        guard codes.featureCount == c.latent else {
            throw LatentError(
                .evaluation, field: "codes",
                "\(codes.name) has \(codes.featureCount) code columns; the model's codes have \(c.latent)")
        }
        var labels: [Int] = []
        if c.isConditional {
            if let label {
                guard (0..<c.classes).contains(label) else {
                    throw LatentError(.evaluation, field: "label", "expected 0…\(c.classes - 1), got \(label)")
                }
                labels = Array(repeating: label, count: codes.count)
            } else {
                guard labelled else {
                    throw LatentError(.evaluation, field: "label", "a cvae needs a label: give one, or a label column")
                }
                labels = codes.labels.map(Int.init)
                if let bad = labels.first(where: { $0 >= c.classes }) {
                    throw LatentError(.evaluation, field: "label", "label \(bad) is not a class 0…\(c.classes - 1)")
                }
            }
        }
        let decoded = model.decode(codes.batch(0..<codes.count), labels: labels)
        scaling?.restore(decoded)
        return decoded
    }

    /// `steps` codes evenly spaced on the straight line from `a` to `b` (ends included), [steps, d].
    public static func path(from a: [Float], to b: [Float], steps: Int) -> Tensor {
        precondition(a.count == b.count && steps >= 2, "path: codes of equal size and at least 2 steps")
        let path = Tensor(uninitialized: [steps, a.count])
        for s in 0..<steps {
            let t = Float(s) / Float(steps - 1)
            for j in 0..<a.count { path[s, j] = (1 - t) * a[j] + t * b[j] }
        }
        return path
    }

    /// `steps` points of the great circle from unit vector `a` to unit vector `b` at constant speed (spherical
    /// linear interpolation; the straight path where they are parallel).
    public static func arc(from a: [Float], to b: [Float], steps: Int) -> Tensor {
        let cosine = Double(zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        let angle = Foundation.acos(min(1, max(-1, cosine)))
        guard Foundation.sin(angle) > 1e-6 else { return path(from: a, to: b, steps: steps) }
        let out = Tensor(uninitialized: [steps, a.count])
        for s in 0..<steps {
            let t = Double(s) / Double(steps - 1)
            let (u, v) = (Foundation.sin((1 - t) * angle), Foundation.sin(t * angle))
            for j in 0..<a.count { out[s, j] = Float((u * Double(a[j]) + v * Double(b[j])) / Foundation.sin(angle)) }
        }
        return out
    }

    /// The decoded path between the codes of examples `from` and `to` of `data` (straight; a great circle for a
    /// code on a sphere), `steps` images
    /// (a CVAE decodes the whole path with the first example's label). Throws for indices outside the data.
    public static func interpolate(
        _ model: any ReconstructingModel, _ data: Dataset, from: Int, to: Int,
        steps: Int
    ) throws -> Tensor {
        for (field, i) in [("from", from), ("to", to)] where i < 0 || i >= data.count {
            throw LatentError(.evaluation, field: field, "expected an example index 0…\(data.count - 1), got \(i)")
        }
        guard steps >= 2 else { throw LatentError(.evaluation, field: "steps", "expected at least 2, got \(steps)") }
        let x = Tensor(uninitialized: [2, data.featureCount])
        data.fill(x, indices: [from, to])
        let labels = [Int(data.labels[from]), Int(data.labels[to])]
        let codes = model.encode(x, labels: labels)
        let d = codes.shape[1]
        let (a, b) = ((0..<d).map { codes[0, $0] }, (0..<d).map { codes[1, $0] })
        let line =
            model.config.capabilities.contains(.manifoldCode)
            ? arc(from: a, to: b, steps: steps) : path(from: a, to: b, steps: steps)
        return model.decode(line, labels: Array(repeating: labels[0], count: steps))
    }
}
