import Foundation
import Latent
import Testing

/// t-SNE and its parts: neighbours, affinities, the gradient of the objective and the three repulsion methods.
@Suite struct EmbeddingTests {
    /// `clusters` Gaussian blobs in `dims` dimensions, `per` points each, centres 10 apart; labels by blob.
    static func blobs(clusters: Int, per: Int, dims: Int, spread: Float = 1, seed: UInt64 = 1) -> (Tensor, [Int]) {
        var rng = RandomGenerator(seed: seed)
        let x = Tensor(uninitialized: [clusters * per, dims])
        var labels: [Int] = []
        for c in 0..<clusters {
            for p in 0..<per {
                for j in 0..<dims {
                    x[c * per + p, j] = (j == c % dims ? 10 * Float(c / dims + 1) : 0) + spread * rng.normal()
                }
                labels.append(c)
            }
        }
        return (x, labels)
    }

    @Test func exactNeighboursMatchBruteForce() {
        let x = Support.random([300, 7], seed: 3)
        let graph = NeighborGraph(exact: x, k: 5, threads: 2)
        for i in stride(from: 0, to: 300, by: 37) {
            var d: [(Float, Int)] = []
            for j in 0..<300 where j != i {
                var s: Float = 0
                for c in 0..<7 {
                    let t = x[i, c] - x[j, c]
                    s += t * t
                }
                d.append((s, j))
            }
            d.sort { $0 < $1 }
            #expect((0..<5).map { Int(graph.indices[i * 5 + $0]) } == d.prefix(5).map(\.1), "row \(i)")
            #expect(abs(graph.squaredDistances[i * 5] - d[0].0) < 1e-4 * max(1, d[0].0))
        }
    }

    @Test func affinitiesAreSymmetricSumToOneAndHitThePerplexity() {
        let x = Support.random([200, 4], seed: 4)
        let graph = NeighborGraph(exact: x, k: 60, threads: 2)
        let p = Affinities(neighbors: graph, perplexity: 15)
        #expect(abs(p.values.reduce(0, +) - 1) < 1e-4)
        var dense = [[Float]](repeating: [Float](repeating: 0, count: 200), count: 200)
        for i in 0..<200 { for e in p.rowStart[i]..<p.rowStart[i + 1] { dense[i][Int(p.columns[e])] = p.values[e] } }
        for i in 0..<200 { for j in 0..<200 { #expect(abs(dense[i][j] - dense[j][i]) < 1e-9) } }
        // The conditional distribution of one point has entropy log(15).
        var cond = [Double](repeating: 0, count: 60)
        graph.squaredDistances.withUnsafeBufferPointer {
            Affinities.conditional($0.baseAddress!, k: 60, targetEntropy: log(15), into: &cond)
        }
        let entropy = -cond.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
        #expect(abs(entropy - log(15)) < 1e-4)
    }

    /// ∂KL/∂y from the exact method (times the factor 4 the implementations leave out) against central
    /// differences of KL(P ‖ Q) computed independently.
    @Test func gradientMatchesFiniteDifferences() {
        let x = Support.random([40, 5], seed: 5)
        let p = Affinities(neighbors: NeighborGraph(exact: x, k: 39), perplexity: 8)
        var y = Support.random([40, 2], seed: 6, low: -2, high: 2).array
        let (grad, kl) = TSNE.gradient(p, embedding: y, method: .exact)
        #expect(abs(kl - TSNEGradient.exactKL(p, embedding: y)) < 1e-6)
        let h: Float = 1e-2
        var worst: Float = 0
        for e in 0..<y.count {
            let keep = y[e]
            y[e] = keep + h
            let up = TSNEGradient.exactKL(p, embedding: y)
            y[e] = keep - h
            let down = TSNEGradient.exactKL(p, embedding: y)
            y[e] = keep
            let fd = Float((up - down) / Double(2 * h))
            worst = max(worst, abs(fd - 4 * grad[e]) / max(abs(fd), 1e-3))
        }
        #expect(worst < 2e-3, "worst relative error \(worst)")
    }

    @Test func barnesHutAtThetaZeroIsExactAndFFTIsClose() {
        let (x, _) = Self.blobs(clusters: 4, per: 150, dims: 6)
        let p = Affinities(neighbors: NeighborGraph(exact: x, k: 90, threads: 2), perplexity: 30)
        let y = Support.random([600, 2], seed: 8, low: -15, high: 15).array
        let exact = TSNE.gradient(p, embedding: y, method: .exact, threads: 2)
        let bh0 = TSNE.gradient(p, embedding: y, method: .barnesHut, theta: 0, threads: 2)
        let bh = TSNE.gradient(p, embedding: y, method: .barnesHut, theta: 0.5, threads: 2)
        let fft = TSNE.gradient(p, embedding: y, method: .fft, threads: 2)
        func relative(_ a: [Float]) -> Float {
            let diff = zip(a, exact.gradient).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            return (diff / exact.gradient.reduce(0) { $0 + $1 * $1 }).squareRoot()
        }
        #expect(relative(bh0.gradient) < 1e-4)
        #expect(abs(bh0.kl - exact.kl) < 1e-5)
        #expect(relative(bh.gradient) < 5e-2)
        #expect(relative(fft.gradient) < 1e-2, "FFT gradient error \(relative(fft.gradient))")
        #expect(abs(fft.kl - exact.kl) < 1e-3 * abs(exact.kl))
    }

    @Test func embeddingSeparatesClusters() throws {
        let (x, labels) = Self.blobs(clusters: 5, per: 60, dims: 10)
        var tsne = TSNE()
        tsne.iterations = 400
        tsne.threads = 2
        #expect(tsne.resolvedMethod(points: 300) == .exact)
        let y = try tsne.embed(x)
        #expect(y.shape == [300, 2])
        #expect(KNNAccuracy.score(y, labels: labels) > 0.98)
        // Barnes-Hut on a larger set, still well separated.
        let (big, bigLabels) = Self.blobs(clusters: 5, per: 240, dims: 10, seed: 2)
        tsne.method = .barnesHut
        let z = try tsne.embed(big)
        #expect(KNNAccuracy.score(z, labels: bigLabels, threads: 2) > 0.98)
        tsne.method = .fft
        let w = try tsne.embed(big)
        #expect(KNNAccuracy.score(w, labels: bigLabels, threads: 2) > 0.98)
    }

    /// One-dimensional rows (a single score per example) embed in two dimensions: two groups on the line come
    /// out as two groups in the plane, spread in both coordinates.
    @Test func oneDimensionalDataEmbedsInTwo() throws {
        let x = Tensor((0..<80).map { Float($0 % 2) * 50 + Float($0 % 7) * 0.1 }, shape: [80, 1])
        var tsne = TSNE()
        tsne.iterations = 300
        let y = try tsne.embed(x)
        #expect(y.shape == [80, 2] && KNNAccuracy.score(y, labels: (0..<80).map { $0 % 2 }) == 1)
        let second = (0..<80).map { y[$0, 1] }
        #expect((second.max() ?? 0) - (second.min() ?? 0) > 1e-3, "the second coordinate is used")
    }

    @Test func knnAccuracyCountsMajorityVotes() {
        // Two tight groups far apart, with one point labelled against its group.
        var values: [Float] = []
        for i in 0..<20 { values += [Float(i % 10) * 0.01 + (i < 10 ? 0 : 100), 0] }
        var labels = (0..<20).map { $0 < 10 ? 0 : 1 }
        #expect(KNNAccuracy.score(Tensor(values, shape: [20, 2]), labels: labels, k: 5) == 1)
        labels[3] = 1
        // Point 3 is outvoted (wrong), the rest still right.
        #expect(abs(KNNAccuracy.score(Tensor(values, shape: [20, 2]), labels: labels, k: 5) - 19.0 / 20) < 1e-9)
    }

    @Test func badInputIsRefused() {
        #expect(throws: LatentError.self) { try TSNE().embed(Tensor(zeros: [3, 2])) }
        let nan = Support.random([50, 3], seed: 1)
        nan[7, 1] = .nan
        #expect(throws: LatentError.self) { try TSNE().embed(nan) }
    }
}
