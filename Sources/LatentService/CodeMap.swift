import LatentData
import LatentEval
import LatentModels
import LatentStats
import LatentTensor

/// The test split's codes drawn in two dimensions, for a map of the latent space: the codes themselves when
/// they are 2-d, else their first two principal components. Keeps the projection, so a code can be placed on
/// the map and a point of the map turned back into a code.
public struct CodeMap: @unchecked Sendable {  // immutable tensors, never written after init
    /// How the points were made: "code" (2-d codes) or "pca".
    public let method: String
    /// The points, [n, 2].
    public let points: Tensor
    /// The full codes, [n, latent].
    public let codes: Tensor
    /// Each point's label (-1 for unlabelled data).
    public let labels: [Int]
    /// The projection (nil for 2-d codes).
    public let pca: PCA?

    /// Encodes `data` with `model` and projects the codes.
    public init(_ model: any ReconstructingModel, _ data: Dataset) throws {
        let codes = Codes.encode(model, data)
        let labels = data.isLabelled ? data.labels.map(Int.init) : Array(repeating: -1, count: data.count)
        if codes.shape[1] == 2 {
            self.init(method: "code", points: codes, codes: codes, labels: labels, pca: nil)
        } else {
            let pca = try PCA(fitting: codes, components: 2)
            self.init(method: "pca", points: pca.transform(codes), codes: codes, labels: labels, pca: pca)
        }
    }

    init(method: String, points: Tensor, codes: Tensor, labels: [Int], pca: PCA?) {
        (self.method, self.points, self.codes, self.labels, self.pca) = (method, points, codes, labels, pca)
    }

    /// The number of points.
    public var count: Int { labels.count }

    /// The first `n` points.
    public func prefix(_ n: Int) -> CodeMap {
        let k = min(n, count)
        return CodeMap(
            method: method, points: points.rows(0..<k).copy(), codes: codes.rows(0..<k).copy(),
            labels: Array(labels[..<k]), pca: pca)
    }

    /// Where codes [n, latent] land on the map, [n, 2].
    public func points(of codes: Tensor) -> Tensor { pca?.transform(codes) ?? codes }

    /// The code at a point of the map: the point itself for 2-d codes, else the mean code plus the point along
    /// the two principal directions.
    public func code(at point: (Float, Float)) -> [Float] {
        guard let pca else { return [point.0, point.1] }
        let z = pca.inverseTransform(Tensor([point.0, point.1], shape: [1, 2]))
        return Array(UnsafeBufferPointer(start: z.data, count: z.count))
    }
}
