import Foundation
import Latent
import Testing

@Suite("FrechetDistance and the sample judge")
struct FrechetDistanceTests {
    /// n points of a 3-d Gaussian with mean `mean` and covariance A Aᵀ.
    func gaussian(_ n: Int, mean: [Float], a: [[Float]], seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let x = Tensor(uninitialized: [n, 3])
        for i in 0..<n {
            let e = (0..<3).map { _ in rng.normal() }
            for j in 0..<3 { x[i, j] = mean[j] + (0..<3).reduce(0) { $0 + a[j][$1] * e[$1] } }
        }
        return x
    }

    @Test func matchesTheClosedFormOfTwoGaussians() throws {
        // Σ₁ = I, Σ₂ = diag(4, 1, 0.25), means 1 apart: d = 1 + (2 − 1)² + 0 + (0.5 − 1)² = 2.25.
        let a = gaussian(40000, mean: [0, 0, 0], a: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], seed: 1)
        let b = gaussian(40000, mean: [1, 0, 0], a: [[2, 0, 0], [0, 1, 0], [0, 0, 0.5]], seed: 2)
        #expect(abs(try FrechetDistance.between(a, b) - 2.25) < 0.06)
        // A rotation of the second (same spectrum, other axes) is not the same distribution: the full
        // covariance counts, not only its eigenvalues. Σ₂' = R diag(4, 1, 0.25) Rᵀ with R swapping x and y.
        let c = gaussian(40000, mean: [1, 0, 0], a: [[1, 0, 0], [0, 2, 0], [0, 0, 0.5]], seed: 3)
        #expect(abs(try FrechetDistance.between(b, c) - 2) < 0.06)  // (2 − 1)² + (1 − 2)²
        #expect(try FrechetDistance.between(a, a) < 1e-9)
        #expect(throws: LatentError.self) { try FrechetDistance.between(a, Tensor(zeros: [5, 2])) }
    }

    @Test func priorsParseOrAreNamed() throws {
        #expect(try CodePrior(parsing: "normal") == .normal)
        #expect(try CodePrior(parsing: "gmm") == .mixture(components: 10, covariance: .full))
        #expect(try CodePrior(parsing: "gmm:4:diagonal") == .mixture(components: 4, covariance: .diagonal))
        #expect(try CodePrior(parsing: "pixelcnn:3") == .pixelcnn(epochs: 3))
        for bad in ["gmm:0", "gmm:x", "gmm:3:spherical", "gauss", "gmm:3:full:1", "gmm:", "pixelcnn:0"] {
            #expect(throws: LatentError.self, "\(bad)") { try CodePrior(parsing: bad) }
        }
    }

    @Test func theJudgeIsSureOfAClassifiersOwnClassesAndFarFromNoise() throws {
        // A classifier that only looks at the first pixel: confident on images that light it, and noise images
        // sit far from real ones in its feature space.
        var rng = RandomGenerator(seed: 4)
        let classifier = Classifier(inputSize: 784, hidden: [8], classes: 10, rng: &rng)
        let images = Tensor(zeros: [200, 784]), noise = Tensor(uninitialized: [200, 784])
        rng.fillUniform(noise, low: 0, high: 1)
        let same = try Judge.quality(of: images, against: images, judgedBy: classifier)
        #expect(same.frechet < 1e-9 && abs(same.classShares.reduce(0, +) - 1) < 1e-9)
        #expect((same.classShares.max() ?? 0) > 0.999 && same.confidence > 0.05 && same.confidence <= 1)
        let far = try Judge.quality(of: noise, against: images, judgedBy: classifier)
        #expect(far.frechet > 0.01)
    }
}
