import Foundation
import Latent
import Testing

@Suite struct SemiSupervisedTests {
    @Test func balancedSubsetTakesEqualCountsPerClass() {
        let labels = (0..<1000).map { ($0 * 7) % 10 }
        let chosen = SemiSupervised.balancedSubset(labels: labels, count: 50, classes: 10, seed: 3)
        #expect(chosen.count == 50 && Set(chosen).count == 50)
        for c in 0..<10 { #expect(chosen.filter { labels[$0] == c }.count == 5) }
        #expect(chosen == SemiSupervised.balancedSubset(labels: labels, count: 50, classes: 10, seed: 3))
        #expect(chosen != SemiSupervised.balancedSubset(labels: labels, count: 50, classes: 10, seed: 4))
    }

    /// Four classes, each two elongated blobs: nearest-labelled-point methods confuse the far halves, label
    /// spreading follows the unlabelled points.
    @Test func everyClassifierLearnsSeparableClassesAndSpreadingUsesTheUnlabelled() {
        var rng = RandomGenerator(seed: 5)
        func make(_ n: Int) -> (Tensor, [Int]) {
            let x = Tensor(uninitialized: [n, 2])
            var y: [Int] = []
            for i in 0..<n {
                let c = i % 4, t = rng.uniform() * 20
                x[i, 0] = Float(c) * 10 + rng.normal() * 0.3
                x[i, 1] = t
                y.append(c)
            }
            return (x, y)
        }
        let (train, trainLabels) = make(800), (test, testLabels) = make(400)
        let labelled = SemiSupervised.balancedSubset(labels: trainLabels, count: 8, classes: 4, seed: 1)
        var accuracy: [SemiSupervised.Method: Double] = [:]
        for method in SemiSupervised.Method.allCases {
            let predicted = SemiSupervised.predict(
                method, train: train, trainLabels: trainLabels, labelled: labelled, test: test,
                classes: 4, seed: 1, threads: 2)
            accuracy[method] = Double(zip(predicted, testLabels).filter { $0 == $1 }.count) / 400
        }
        // The classes are split by x alone: the fitted classifiers find it; spreading follows each stripe.
        #expect(accuracy[.logistic]! > 0.9 && accuracy[.mlp]! > 0.9, "\(accuracy)")
        #expect(accuracy[.spread]! > 0.98, "\(accuracy)")
        // Two labelled points per 20-long stripe, stripes 10 apart: nearest neighbours often cross stripes.
        #expect(accuracy[.knn]! > 0.5 && accuracy[.knn]! < accuracy[.spread]!, "\(accuracy)")
    }
}
