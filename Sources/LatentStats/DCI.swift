import Foundation

extension Disentanglement {
    /// The DCI scores (Eastwood & Williams 2018) as disentanglement_lib and `disent` compute them: per factor, a
    /// gradient-boosted classifier (`GradientBoostedTrees`, scikit-learn's defaults) of the factor from all code
    /// dimensions, fitted on the training examples; the importance matrix R[dimension][factor] of their feature
    /// importances; disentanglement = Σ_j ρ_j·(1 − H_K(R[j]/ΣR[j])), ρ_j the dimension's share of all
    /// importance and H_K the entropy in base K = number of factors; completeness the same over each factor's
    /// column (base = number of dimensions); informativeness the classifiers' mean accuracy on the training and
    /// test examples. 1e-11 is added to every importance before the entropies, as theirs. `codes[j]` is dimension
    /// j for every example, `factors[k]` factor k's values.
    public static func dci(
        codes: [[Double]], factors: [[Int]], testCodes: [[Double]], testFactors: [[Int]]
    ) -> (
        disentanglement: Double, completeness: Double, informativeness: (train: Double, test: Double),
        importance: [[Double]]
    ) {
        let d = codes.count, k = factors.count
        let train = codes.map { $0.map(Float.init) }, test = testCodes.map { $0.map(Float.init) }
        var importance = [[Double]](repeating: Array(repeating: 0, count: k), count: d)
        var (trainAccuracy, testAccuracy) = (0.0, 0.0)
        for f in 0..<k {
            let model = GradientBoostedTrees(features: train, labels: factors[f], seed: UInt64(f))
            for j in 0..<d { importance[j][f] = Swift.abs(model.featureImportances[j]) }
            func accuracy(_ x: [[Float]], _ y: [Int]) -> Double {
                Double(zip(model.predict(x), y).filter { $0.0 == $0.1 }.count) / Double(max(y.count, 1))
            }
            trainAccuracy += accuracy(train, factors[f])
            testAccuracy += accuracy(test, testFactors[f])
        }
        func entropy(_ p: [Double], base: Int) -> Double {
            let shifted = p.map { $0 + 1e-11 }, total = shifted.reduce(0, +)
            return -shifted.reduce(0) { $0 + ($1 / total) * Foundation.log($1 / total) } / Foundation.log(Double(base))
        }
        var weights = importance
        if importance.joined().reduce(0, +) == 0 { weights = importance.map { $0.map { _ in 1 } } }
        let total = weights.joined().reduce(0, +)
        let disentanglement = (0..<d).reduce(0.0) { sum, j in
            sum + (1 - entropy(importance[j], base: k)) * weights[j].reduce(0, +) / total
        }
        let completeness = (0..<k).reduce(0.0) { sum, f in
            let column = importance.map { $0[f] }
            return sum + (1 - entropy(column, base: d)) * weights.reduce(0) { $0 + $1[f] } / total
        }
        return (disentanglement, completeness, (trainAccuracy / Double(k), testAccuracy / Double(k)), importance)
    }
}
