import LatentTensor

/// How well an embedding keeps classes together: the leave-one-out accuracy of a k-nearest-neighbour
/// majority vote (ties go to the class whose member is nearest), the standard score for t-SNE maps.
public enum KNNAccuracy {
    /// Accuracy of a k-NN vote over the rows of `points` ([n, d]) against `labels`.
    public static func score(_ points: Tensor, labels: [Int], k: Int = 10, threads: Int = 1) -> Double {
        let n = points.shape[0]
        precondition(labels.count == n, "one label per point")
        guard n > 1 else { return 0 }
        let kk = min(k, n - 1)
        let graph = NeighborGraph(exact: points, k: kk, threads: threads)
        return score(graph, labels: labels)
    }

    /// Accuracy of the vote over an existing neighbour graph (its first k neighbours).
    public static func score(_ graph: NeighborGraph, labels: [Int]) -> Double {
        let classes = (labels.max() ?? 0) + 1
        var votes = [Int](repeating: 0, count: classes)
        var correct = 0
        for i in 0..<graph.count {
            for c in 0..<classes { votes[c] = 0 }
            var best = -1
            for t in 0..<graph.k {
                let c = labels[Int(graph.indices[i * graph.k + t])]
                if c < 0 { continue }
                votes[c] += 1
                // Nearest first: a class reaching the lead later only wins with strictly more votes.
                if best < 0 || votes[c] > votes[best] { best = c }
            }
            if best == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(graph.count)
    }
}
