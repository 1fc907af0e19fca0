import Foundation
import LatentData
import LatentModels
import LatentTensor

/// How a model's latent traversals are laid out, measured once on a probe set: a variational model's dimensions
/// sorted by their mean KL from the prior (most informative first), traversed over −range … range in the prior's
/// units; another model's sorted by the codes' variance, traversed over the mean ± range standard deviations.
/// `latent plot traversal` and the explorer (`latent serve`) draw the same rows.
public struct TraversalAxes: Sendable {
    /// The dimensions in row order.
    public let order: [Int]
    /// Each dimension's mean KL (variational) or variance (others).
    public let weight: [Double]
    /// Each dimension's centre and unit of travel (0 and 1 for a variational model).
    public let centre: [Double], spread: [Double]
    /// Whether the model is variational (units of the prior).
    public let variational: Bool

    /// The axes of `model` measured on `probe`; a model whose code has categorical variables is refused.
    public init(_ model: any ReconstructingModel, probe: Dataset) throws {
        let c = model.config, d = c.latent
        guard !c.kind.member.capabilities.contains(.categoricalCode) else {
            throw LatentError(
                .render, field: "kind",
                "a \(c.kind.rawValue)'s code has categorical variables, which have no continuous steps to traverse "
                    + "(sample or interpolate it instead)")
        }
        guard !c.kind.member.capabilities.contains(.manifoldCode) else {
            throw LatentError(
                .render, field: "kind",
                "a \(c.kind.rawValue)'s code lies on a sphere, which one coordinate cannot move along alone "
                    + "(interpolate it instead: the path follows the sphere's great circle)")
        }
        guard probe.count > 0 else { throw LatentError(.data, "no examples to measure the traversals on") }
        var weight = [Double](repeating: 0, count: d), centre = [Double](repeating: 0, count: d)
        var spread = [Double](repeating: 1, count: d)
        if let vae = model as? VariationalAutoencoder {
            let labels = c.isConditional ? probe.labels.map(Int.init) : []
            let (mean, logVariance) = vae.encodeDistribution(probe.batch(0..<probe.count), labels: labels)
            for i in 0..<probe.count {
                for j in 0..<d {
                    let m = Double(mean[i, j]), lv = Double(logVariance[i, j])
                    weight[j] += 0.5 * (m * m + exp(lv) - lv - 1) / Double(probe.count)
                }
            }
        } else {
            let codes = Codes.encode(model, probe)
            for j in 0..<d {
                let column = (0..<probe.count).map { Double(codes[$0, j]) }
                centre[j] = column.reduce(0, +) / Double(column.count)
                weight[j] = column.reduce(0) { $0 + ($1 - centre[j]) * ($1 - centre[j]) } / Double(column.count)
                spread[j] = max(weight[j].squareRoot(), 1e-6)
            }
        }
        order = (0..<d).sorted { weight[$0] > weight[$1] || (weight[$0] == weight[$1] && $0 < $1) }
        (self.weight, self.centre, self.spread) = (weight, centre, spread)
        variational = model is VariationalAutoencoder
    }

    /// The `steps` offsets −range … range, in units of the prior or of standard deviations.
    public func offsets(range: Double, steps: Int) -> [Double] {
        (0..<steps).map { -range + 2 * range * Double($0) / Double(max(steps - 1, 1)) }
    }

    /// Codes [latent · steps, latent]: row block r varies dimension `order[r]` of `code` over the offsets.
    public func codes(around code: [Float], range: Double, steps: Int) -> Tensor {
        let d = order.count, offsets = offsets(range: range, steps: steps)
        let z = Tensor(uninitialized: [d * steps, d])
        for (row, j) in order.enumerated() {
            for (s, offset) in offsets.enumerated() {
                for k in 0..<d { z[row * steps + s, k] = code[k] }
                z[row * steps + s, j] = Float(centre[j] + offset * spread[j])
            }
        }
        return z
    }

    /// Row labels: "z3 KL 1.25" or "z3 sd 0.40".
    public var rowNames: [String] {
        order.map { j in
            String(format: variational ? "z%d KL %.2f" : "z%d sd %.2f", j, variational ? weight[j] : spread[j])
        }
    }
}
