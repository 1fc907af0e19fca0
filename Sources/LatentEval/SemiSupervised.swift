import Foundation
import LatentAutodiff
import LatentData
import LatentEmbedding
import LatentModels
import LatentNN
import LatentOptim
import LatentStats
import LatentTensor

/// Semi-supervised classification on learned features (Kingma et al. 2014, "M1"): the autoencoder learned
/// its codes from all the unlabelled images; a classifier then sees the labels of only a few of them.
public enum SemiSupervised {
    /// The classifiers compared.
    public enum Method: String, CaseIterable, Sendable {
        /// Multinomial logistic regression (L2-regularised), on standardised features.
        case logistic
        /// k-nearest neighbours (k = 3, distance-weighted) among the labelled examples, Euclidean on the raw features.
        case knn
        /// One hidden layer of 128 ReLU units, weight decay, on standardised features.
        case mlp
        /// Label spreading (Zhou et al. 2004) over the 10-NN graph of all training and test features:
        /// transductive, like the TSVM of Kingma's M1+TSVM.
        case spread
    }

    /// Test errors of one feature set, by method.
    public struct Comparison: Sendable {
        /// "vae codes (20-d)", "pixels (784-d)" (a table's "features"), "PCA (20-d)".
        public let features: String
        /// Test error (fraction misclassified) of each method.
        public let errors: [(method: Method, error: Double)]
    }

    /// M1 as the papers report it: a class-balanced labelled subset of `labels` training examples (seeded),
    /// each method trained on its features, test error on the whole test set, for the model's codes beside
    /// raw pixels and PCA with as many components as the code. Throws for a CVAE (its codes are conditioned
    /// on the label to predict) and for unusable label counts.
    public static func compare(
        _ model: any ReconstructingModel, train: Dataset, test: Dataset, labels: Int,
        methods: [Method], seed: UInt64, threads: Int = 1
    ) throws -> (labelled: Int, results: [Comparison]) {
        guard !model.config.isConditional else {
            throw LatentError(
                .evaluation, "a cvae's codes are conditioned on the label it is asked to predict; use an ae or vae")
        }
        guard train.isLabelled && test.isLabelled else {
            throw LatentError(
                .evaluation, field: "labelColumn", "semi-supervised learning needs labels; \(train.name) has none")
        }
        let classes = Int(train.labels.max() ?? 0) + 1
        guard classes >= 2 else {
            throw LatentError(.evaluation, "\(train.name) has one class; semi-supervised learning needs labels")
        }
        guard labels >= classes, labels <= train.count else {
            throw LatentError(
                .evaluation, field: "labels",
                "expected \(classes)…\(train.count) (at least one per class), got \(labels)")
        }
        let trainLabels = train.labels.map(Int.init), testLabels = test.labels.map(Int.init)
        let chosen = balancedSubset(labels: trainLabels, count: labels, classes: classes, seed: seed)
        let pixelsTrain = train.batch(0..<train.count), pixelsTest = test.batch(0..<test.count)
        let d = model.config.latent
        let pca = try PCA(fitting: pixelsTrain, components: min(d, pixelsTrain.shape[1]))
        let features: [(String, Tensor, Tensor)] = [
            ("\(model.config.kind.rawValue) codes (\(d)-d)", Codes.encode(model, train), Codes.encode(model, test)),
            ("\(train.isImage ? "pixels" : "features") (\(pixelsTrain.shape[1])-d)", pixelsTrain, pixelsTest),
            ("PCA (\(pca.components.shape[0])-d)", pca.transform(pixelsTrain), pca.transform(pixelsTest)),
        ]
        let results = features.map { name, tr, te in
            Comparison(
                features: name,
                errors: methods.map { m in
                    let predicted = predict(
                        m, train: tr, trainLabels: trainLabels, labelled: chosen, test: te,
                        classes: classes, seed: seed, threads: threads)
                    return (m, Double(zip(predicted, testLabels).filter { $0 != $1 }.count) / Double(test.count))
                })
        }
        return (chosen.count, results)
    }

    /// A class-balanced sample of `count` training indices (count / classes per class), seeded.
    public static func balancedSubset(labels: [Int], count: Int, classes: Int, seed: UInt64) -> [Int] {
        var rng = RandomGenerator(seed: seed, stream: .labelledSubset)
        var chosen: [Int] = []
        for c in 0..<classes {
            var members = labels.indices.filter { labels[$0] == c }
            members.shuffle(using: &rng)
            chosen += members.prefix(count / classes)
        }
        return chosen.sorted()
    }

    /// Test predictions of `method` trained on the rows `labelled` of `train` (features [n, d]).
    public static func predict(
        _ method: Method, train: Tensor, trainLabels: [Int], labelled: [Int], test: Tensor,
        classes: Int, seed: UInt64, threads: Int = 1
    ) -> [Int] {
        let d = train.shape[1]
        // Distance-based methods work on the features as they are; the fitted ones on features standardised
        // with statistics of all training rows (no labels involved; near-constant features left unscaled).
        let standardise = method == .logistic || method == .mlp
        let mean = train.sumRows().scaled(by: 1 / Float(train.shape[0]))
        let centered = train - mean
        let variance = (centered * centered).sumRows().scaled(by: 1 / Float(train.shape[0]))
        let std = Tensor(variance.array.map { $0 > 1e-6 ? $0.squareRoot() : 1 }, shape: [d])
        let xTrain = standardise ? centered / std : train, xTest = standardise ? (test - mean) / std : test
        let x = Tensor(uninitialized: [labelled.count, d])
        for (r, i) in labelled.enumerated() { (x.data + r * d).update(from: xTrain.data + i * d, count: d) }
        let y = labelled.map { trainLabels[$0] }
        switch method {
        case .knn: return kNearest(x, y, xTest, k: 3, classes: classes)
        case .logistic: return fit(x, y, xTest, hidden: nil, classes: classes, seed: seed)
        case .mlp: return fit(x, y, xTest, hidden: 128, classes: classes, seed: seed)
        case .spread:
            return spread(xTrain, labelled: labelled, labels: y, test: xTest, classes: classes, threads: threads)
        }
    }

    static func kNearest(_ x: Tensor, _ y: [Int], _ test: Tensor, k: Int, classes: Int) -> [Int] {
        let n = x.shape[0], d = x.shape[1]
        return (0..<test.shape[0]).map { t in
            var best: [(Float, Int)] = []
            for i in 0..<n {
                var s: Float = 0
                for j in 0..<d {
                    let e = test[t, j] - x[i, j]
                    s += e * e
                }
                best.append((s, y[i]))
            }
            best.sort { $0.0 < $1.0 }
            var votes = [Float](repeating: 0, count: classes)
            for (s, c) in best.prefix(k) { votes[c] += 1 / (s.squareRoot() + 1e-6) }
            return votes.indices.max { votes[$0] < votes[$1] }!
        }
    }

    /// Logistic regression (hidden nil) or a one-hidden-layer MLP, full-batch Adam with weight decay.
    static func fit(_ x: Tensor, _ y: [Int], _ test: Tensor, hidden: Int?, classes: Int, seed: UInt64) -> [Int] {
        var rng = RandomGenerator(seed: seed, stream: .classifierInitialization)
        let d = x.shape[1]
        let first = Linear(d, hidden ?? classes, rng: &rng)
        let second = hidden.map { Linear($0, classes, rng: &rng) }
        let net = Stack(layers: [first] + (second.map { [$0] } ?? []))
        let parameters = ParameterSet(net)
        let adam = try! Adam(parameters, learningRate: 3e-2, weightDecay: 1e-3)
        func forward(_ v: Variable) -> Variable {
            let h = first(v)
            guard let second else { return h }
            return second(h.relu())
        }
        for _ in 0..<1500 {
            adam.zeroGrad()
            softmaxCrossEntropy(logits: forward(Variable(x)), labels: y).backward()
            adam.step()
        }
        return forward(Variable(test)).value.argmaxRows()
    }

    /// Label spreading: F ← α S F + (1 − α) Y over the symmetric 10-NN graph of all points, S = D^-½ W D^-½.
    static func spread(
        _ train: Tensor, labelled: [Int], labels: [Int], test: Tensor, classes: Int, threads: Int
    ) -> [Int] {
        let nTrain = train.shape[0], nTest = test.shape[0], d = train.shape[1], n = nTrain + nTest
        let all = Tensor(uninitialized: [n, d])
        all.data.update(from: train.data, count: nTrain * d)
        (all.data + nTrain * d).update(from: test.data, count: nTest * d)
        let k = 10
        let graph = NeighborGraph(exact: all, k: k, threads: threads)
        // Symmetric weights exp(−d² / σ_i σ_j) with σ_i the distance to the k-th neighbour (self-tuning).
        var sigma = [Float](repeating: 1, count: n)
        for i in 0..<n { sigma[i] = max(graph.squaredDistances[i * k + k - 1].squareRoot(), 1e-6) }
        var adjacency = [[(Int, Float)]](repeating: [], count: n)
        for i in 0..<n {
            for t in 0..<k {
                let j = Int(graph.indices[i * k + t])
                let w = exp(-graph.squaredDistances[i * k + t] / (sigma[i] * sigma[j]))
                adjacency[i].append((j, w))
                adjacency[j].append((i, w))
            }
        }
        var degree = [Float](repeating: 0, count: n)
        for i in 0..<n { degree[i] = max(adjacency[i].reduce(0) { $0 + $1.1 }, 1e-12) }
        let alpha: Float = 0.99
        var yMatrix = [Float](repeating: 0, count: n * classes)
        for (r, i) in labelled.enumerated() { yMatrix[i * classes + labels[r]] = 1 }
        var f = yMatrix, next = yMatrix
        for _ in 0..<100 {
            for i in 0..<n {
                var acc = [Float](repeating: 0, count: classes)
                for (j, w) in adjacency[i] {
                    let s = w / (degree[i] * degree[j]).squareRoot()
                    for c in 0..<classes { acc[c] += s * f[j * classes + c] }
                }
                for c in 0..<classes { next[i * classes + c] = alpha * acc[c] + (1 - alpha) * yMatrix[i * classes + c] }
            }
            swap(&f, &next)
        }
        return (nTrain..<n).map { i in (0..<classes).max { f[i * classes + $0] < f[i * classes + $1] }! }
    }

    /// A module holding the classifier's layers, for ParameterSet.
    final class Stack: Module {
        let layers: [Linear]
        init(layers: [Linear]) { self.layers = layers }
        var namedChildren: [(name: String, module: any Module)] {
            layers.enumerated().map { (String($0.offset), $0.element) }
        }
    }
}
