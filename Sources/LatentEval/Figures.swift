import Foundation
import LatentData
import LatentEmbedding
import LatentModels
import LatentRender
import LatentStats
import LatentTensor

/// The pictures that show a trained model: its latent space, its decoded manifold and its training curves.
public enum Figures {
    /// How codes of more than the plotted dimensions are projected.
    public enum Projection: String, CaseIterable, Sendable { case pca, tsne }

    /// A scatter of the codes coloured by label: 2-D codes directly; otherwise projected to `dims` (2 or 3)
    /// by PCA, or to 2 by t-SNE; 3 dims are drawn as the xy, xz and yz projections side by side. A 1-D code is
    /// drawn as the histogram of its values, one per class.
    public static func latentScatter(
        _ model: any ReconstructingModel, on data: Dataset, dims: Int = 2,
        projection: Projection = .pca, threads: Int = 1, format: PictureFormat
    ) throws -> Data {
        precondition(dims == 2 || dims == 3, "dims must be 2 or 3")
        let (codes, labels) = (Codes.encode(model, data), data.knownLabels)
        let d = codes.shape[1]
        if d == 1 {
            let values = (0..<codes.shape[0]).map { Double(codes[$0, 0]) }
            let groups =
                labels.map { labels in
                    Set(labels).sorted().map { c in
                        (name: data.className(c), values: zip(values, labels).filter { $0.1 == c }.map(\.0))
                    }
                } ?? [(name: "codes", values: values)]
            return try Plots.histogram(
                groups, title: "\(model.config.kind.rawValue.uppercased()) 1-d codes, \(data.name)", xLabel: "z0",
                format: format)
        }
        var columns: Tensor = codes, axisName = "z"
        if d != dims {
            if d < dims { throw LatentError(.render, "a \(d)-d code cannot be drawn in \(dims) dimensions") }
            if projection == .tsne {
                guard dims == 2 else {
                    throw LatentError(.render, field: "dims", "t-SNE draws 2 dimensions; use `projection` pca for 3")
                }
                var tsne = TSNE()
                tsne.threads = threads
                columns = try tsne.embed(codes)
                axisName = "t-SNE"
            } else {
                columns = try PCA(fitting: codes, components: dims).transform(codes)
                axisName = "PC"
            }
        }
        func column(_ j: Int) -> [Float] { (0..<columns.shape[0]).map { columns[$0, j] } }
        let name = { (j: Int) in axisName == "z" ? "z\(j)" : "\(axisName) \(j + 1)" }
        let pairs = dims == 2 ? [(0, 1)] : [(0, 1), (0, 2), (1, 2)]
        let panels = pairs.map { Plots.Panel(x: column($0.0), y: column($0.1), xLabel: name($0.0), yLabel: name($0.1)) }
        let title =
            dims == 3
            ? "\(model.config.kind.rawValue.uppercased()) codes, PCA"
            : "\(model.config.kind.rawValue.uppercased()) latent space, \(data.name)"
                + (axisName == "z" ? "" : " (\(axisName == "PC" ? "PCA" : "t-SNE") of \(d)-d codes)")
        return try Plots.scatter(panels, labels: labels, classNames: data.classNames, title: title, format: format)
    }

    /// Decoded images over a grid × grid lattice of a 2-D latent space, placed at the standard normal's
    /// quantiles of evenly spaced probabilities (0.05…0.95), as in the classic Keras VAE figure.
    public static func manifold(
        _ vae: VariationalAutoencoder, grid: Int = 20, label: Int = 0, format: PictureFormat
    ) throws -> Data {
        let c = vae.config
        guard c.latent == 2 else {
            throw LatentError(.render, "the manifold needs a 2-d latent space; this model's is \(c.latent)-d")
        }
        let values = (0..<grid).map { normalQuantile(0.05 + 0.9 * Double($0) / Double(max(grid - 1, 1))) }
        let z = Tensor(uninitialized: [grid * grid, 2])
        for r in 0..<grid {
            for col in 0..<grid {
                z[r * grid + col, 0] = Float(values[col])
                z[r * grid + col, 1] = Float(values[grid - 1 - r])  // top row = largest z1
            }
        }
        let images = vae.decode(z, labels: Array(repeating: label, count: grid * grid))
        let name = c.kind.rawValue.uppercased()
        let title = c.isConditional ? "\(name) manifold, label \(label)" : "\(name) manifold"
        return try Plots.imageGrid(
            images.array, height: c.imageHeight, width: c.imageWidth, channels: c.channels, rows: grid, columns: grid,
            title: title, xValues: values, yValues: values.reversed(), format: format)
    }

    /// Latent traversals of example `index` of `data`: one row per code dimension, each varying that dimension
    /// alone over `steps` values and decoding, the rest held at the example's code; rows sorted and scaled as
    /// `TraversalAxes` measures on (up to 2,000 examples of) `data`. Returns the figure and the dimensions in row
    /// order.
    public static func traversal(
        _ model: any ReconstructingModel, data: Dataset, index: Int, range: Double = 3, steps: Int = 10,
        format: PictureFormat
    ) throws -> (figure: Data, order: [Int]) {
        let c = model.config
        let axes = try TraversalAxes(model, probe: data.prefix(min(data.count, 2000)))
        guard (0..<data.count).contains(index) else {
            throw LatentError(.render, field: "image", "expected an example index 0…\(data.count - 1), got \(index)")
        }
        let x = Tensor(uninitialized: [1, data.featureCount])
        data.fill(x, indices: [index])
        let label = Int(data.labels[index])
        let code = model.encode(x, labels: c.isConditional ? [label] : [])
        let images = model.decode(
            axes.codes(around: code.array, range: range, steps: steps),
            labels: c.isConditional ? Array(repeating: label, count: c.latent * steps) : [])
        let figure = try Plots.imageGrid(
            images.array, height: c.imageHeight, width: c.imageWidth, channels: c.channels, rows: c.latent,
            columns: steps, title: "\(c.kind.rawValue) traversals of \(data.name) image \(index)",
            xValues: axes.offsets(range: range, steps: steps), yValues: [], format: format, rowNames: axes.rowNames,
            xName: axes.variational ? "z_j" : "z_j − mean (sd)", yName: axes.variational ? "by KL" : "by variance")
        return (figure, axes.order)
    }

    /// Train and test loss per epoch, and the test loss's parts (reconstruction, KL, sparsity…) by name.
    public static func curves(
        epochs: [Double], train: [Double], test: [Double], terms: [String: [Double]],
        format: PictureFormat
    ) throws -> Data {
        var groups: [(title: String, yLabel: String, series: [Plots.Series])] = [
            (
                "Loss per epoch", "loss per example",
                [Plots.Series(name: "train", x: epochs, y: train), Plots.Series(name: "test", x: epochs, y: test)]
            )
        ]
        if terms.count > 1 {
            let series = terms.keys.sorted().map { Plots.Series(name: $0, x: epochs, y: terms[$0] ?? []) }
            groups.append(("Test loss terms", "per example", series))
        }
        return try Plots.lines(groups, xLabel: "epoch", format: format)
    }
}
