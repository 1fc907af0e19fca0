import Foundation
import LatentTensor

/// scikit-learn's `GradientBoostingClassifier` with its defaults (100 stages, learning rate 0.1, regression trees
/// of depth 3 on the loss's negative gradient, squared-error splits, one Newton step per leaf), which the DCI
/// score's importances come from (disentanglement_lib and `disent` call it). Hand-written: no library of this
/// project's stack fits boosted trees. As scikit-learn: the multinomial loss for three or more classes (one tree
/// per class and stage, leaf values scaled by (K − 1)/K), the binomial for two; a split's threshold is the midpoint
/// of two neighbouring distinct values (values within 1e-7 count as one); a node splits while it holds two or more
/// examples of non-zero impurity and lies above depth 3; the importance of a feature is each tree's weighted
/// impurity decrease (over the root's examples), averaged over the trees that split and normalised to sum 1.
/// Between exactly equal splits (common in the first stages, whose gradients take two values per class) the feature
/// first in a random order wins, drawn per node from `seed` as scikit-learn's splitter draws its own.
public struct GradientBoostedTrees: Sendable {
    /// One regression tree: node arrays; `feature[i] < 0` marks a leaf holding `value[i]`.
    struct Tree: Sendable {
        var feature: [Int] = [-1], threshold: [Double] = [0], left: [Int] = [-1], right: [Int] = [-1]
        var value: [Double] = [0]

        func leaf(_ x: (Int) -> Float) -> Int {
            var node = 0
            while feature[node] >= 0 { node = Double(x(feature[node])) <= threshold[node] ? left[node] : right[node] }
            return node
        }
    }

    /// The class labels, ascending (the model predicts indices into them).
    public let classes: [Int]
    /// Each feature's importance, summing to 1 (all 0 when no tree split).
    public private(set) var featureImportances: [Double]
    var initial: [Double]
    var stages: [[Tree]] = []
    static let learningRate = 0.1, depth = 3, rounds = 100

    /// Fits the classifier to `features[j][i]` (feature j of example i) and `labels[i]`; `seed` orders the features
    /// for ties.
    public init(features: [[Float]], labels: [Int], seed: UInt64 = 0) {
        var rng = RandomGenerator(seed: seed)
        let n = labels.count, d = features.count
        classes = Array(Set(labels)).sorted()
        featureImportances = Array(repeating: 0, count: d)
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let y = labels.map { index[$0]! }, k = classes.count, columns = k > 2 ? k : 1
        let eps = Double.ulpOfOne
        let prior = (0..<k).map { c in min(max(Double(y.filter { $0 == c }.count) / Double(n), eps), 1 - eps) }
        if k > 2 {
            let logs = prior.map { Foundation.log($0) }, mean = logs.reduce(0, +) / Double(k)
            initial = logs.map { $0 - mean }
        } else {
            initial = [Foundation.log(prior[k - 1] / (1 - prior[k - 1]))]
        }
        guard k >= 2, n >= 2 else { return }
        let order = features.map { column in (0..<n).sorted { column[$0] < column[$1] } }
        var raw = [Double](repeating: 0, count: n * columns)
        for i in 0..<n { for c in 0..<columns { raw[i * columns + c] = initial[c] } }
        var importance = [Double](repeating: 0, count: d), splitting = 0
        var probability = [Double](repeating: 0, count: n * columns)
        for _ in 0..<Self.rounds {
            for i in 0..<n {
                if columns == 1 {
                    probability[i] = 1 / (1 + Foundation.exp(-raw[i]))
                } else {
                    let row = raw[(i * columns)..<((i + 1) * columns)], top = row.max()!
                    let total = row.reduce(0) { $0 + Foundation.exp($1 - top) }
                    for c in 0..<columns {
                        probability[i * columns + c] = Foundation.exp(raw[i * columns + c] - top) / total
                    }
                }
            }
            var stage: [Tree] = []
            for c in 0..<columns {
                let target = (0..<n).map { Double(y[$0] == (columns == 1 ? 1 : c) ? 1 : 0) }
                let gradient = (0..<n).map { target[$0] - probability[$0 * columns + c] }
                var (tree, leafOf, gain) = Self.grow(features, order, gradient, rng: &rng)
                // One Newton step per leaf (scikit-learn's `_update_terminal_regions`).
                var sums = [(g: Double, h: Double, count: Double)](repeating: (0, 0, 0), count: tree.value.count)
                for i in 0..<n {
                    let p = target[i] - gradient[i]
                    sums[leafOf[i]].g += gradient[i]
                    sums[leafOf[i]].h += p * (1 - p)
                    sums[leafOf[i]].count += 1
                }
                let scale = columns == 1 ? 1 : Double(k - 1) / Double(k)
                for node in tree.value.indices where tree.feature[node] < 0 && sums[node].count > 0 {
                    let numerator = sums[node].g / sums[node].count * scale,
                        denominator = sums[node].h / sums[node].count
                    tree.value[node] = Swift.abs(denominator) < 1e-150 ? 0 : numerator / denominator
                }
                for i in 0..<n { raw[i * columns + c] += Self.learningRate * tree.value[leafOf[i]] }
                if tree.feature.count > 1 {
                    splitting += 1
                    for j in 0..<d { importance[j] += gain[j] }
                }
                stage.append(tree)
            }
            stages.append(stage)
        }
        let total = importance.reduce(0, +)
        if splitting > 0, total > 0 { featureImportances = importance.map { $0 / total } }
    }

    /// A regression tree of depth 3 fitted to `target` by squared error, grown level by level (each node's split
    /// depends on its examples alone, so the tree is the depth-first builder's); the leaf of each example; each
    /// feature's impurity decrease weighted by examples, over the root's count.
    static func grow(
        _ x: [[Float]], _ order: [[Int]], _ target: [Double], rng: inout RandomGenerator
    ) -> (Tree, [Int], [Double]) {
        let n = target.count, d = x.count
        var tree = Tree(), nodeOf = [Int](repeating: 0, count: n), gain = [Double](repeating: 0, count: d)
        func stats(_ node: Int) -> (count: Double, sum: Double, squares: Double) {
            var s = (count: 0.0, sum: 0.0, squares: 0.0)
            for i in 0..<n where nodeOf[i] == node {
                s = (s.count + 1, s.sum + target[i], s.squares + target[i] * target[i])
            }
            return s
        }
        func impurity(_ s: (count: Double, sum: Double, squares: Double)) -> Double {
            s.squares / s.count - (s.sum / s.count) * (s.sum / s.count)
        }
        var frontier = [0], rootStats = [stats(0)]
        for _ in 0..<depth {
            let open = zip(frontier, rootStats).filter { $0.1.count >= 2 && impurity($0.1) > Double.ulpOfOne }
            if open.isEmpty { break }
            var slot = [Int](repeating: -1, count: tree.feature.count)
            for (s, node) in open.enumerated() { slot[node.0] = s }
            var best = [(proxy: Double, feature: Int, threshold: Double)](
                repeating: (-.infinity, -1, 0), count: open.count)
            // Each node's visiting order of the features: on an equal split, the feature ranked first wins.
            let rank = open.map { _ in
                var r = [Int](repeating: 0, count: d)
                for (position, j) in rng.permutation(d).enumerated() { r[j] = position }
                return r
            }
            for j in 0..<d {
                var count = [Double](repeating: 0, count: open.count), sum = count
                var last = [Float?](repeating: nil, count: open.count)
                for i in order[j] {
                    let s = slot[nodeOf[i]]
                    if s < 0 { continue }
                    let v = x[j][i]
                    if let previous = last[s], Double(v) > Double(previous) + 1e-7 {
                        let (all, total) = (open[s].1.count, open[s].1.sum)
                        let proxy = sum[s] * sum[s] / count[s] + (total - sum[s]) * (total - sum[s]) / (all - count[s])
                        let first = best[s].feature < 0 || rank[s][j] < rank[s][best[s].feature]
                        if proxy > best[s].proxy || (proxy == best[s].proxy && j != best[s].feature && first) {
                            var threshold = Double(previous) / 2 + Double(v) / 2
                            if threshold == Double(v) { threshold = Double(previous) }
                            best[s] = (proxy, j, threshold)
                        }
                    }
                    count[s] += 1
                    sum[s] += target[i]
                    last[s] = v
                }
            }
            var next: [Int] = [], nextStats: [(count: Double, sum: Double, squares: Double)] = []
            for (s, (node, parent)) in open.enumerated() where best[s].feature >= 0 {
                let (j, threshold) = (best[s].feature, best[s].threshold)
                let (l, r) = (tree.feature.count, tree.feature.count + 1)
                tree.feature[node] = j
                tree.threshold[node] = threshold
                (tree.left[node], tree.right[node]) = (l, r)
                tree.feature += [-1, -1]
                tree.threshold += [0, 0]
                tree.left += [-1, -1]
                tree.right += [-1, -1]
                tree.value += [0, 0]
                for i in 0..<n where nodeOf[i] == node { nodeOf[i] = Double(x[j][i]) <= threshold ? l : r }
                let (ls, rs) = (stats(l), stats(r))
                gain[j] += parent.count * impurity(parent) - ls.count * impurity(ls) - rs.count * impurity(rs)
                next += [l, r]
                nextStats += [ls, rs]
            }
            (frontier, rootStats) = (next, nextStats)
        }
        return (tree, nodeOf, gain.map { $0 / Double(n) })
    }

    /// The predicted class label of each example of `features[j][i]`.
    public func predict(_ features: [[Float]]) -> [Int] {
        let n = features.first?.count ?? 0
        guard classes.count >= 2 else { return Array(repeating: classes.first ?? 0, count: n) }
        return (0..<n).map { i in
            var raw = initial
            for stage in stages {
                for (c, tree) in stage.enumerated() {
                    raw[c] += Self.learningRate * tree.value[tree.leaf { features[$0][i] }]
                }
            }
            if raw.count == 1 { return classes[raw[0] > 0 ? 1 : 0] }
            var top = 0
            for c in raw.indices where raw[c] > raw[top] { top = c }  // the first of equal maxima, as numpy
            return classes[top]
        }
    }
}
