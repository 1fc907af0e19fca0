import Foundation
import Latent
import Testing

@Suite("GaussianMixture: EM recovers a known mixture")
struct GaussianMixtureTests {
    /// 3000 points: 30% around (−3, 0) with a diagonal spread, 70% around (2, 2) correlated (ρ = 0.8).
    func points(seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let x = Tensor(uninitialized: [3000, 2])
        for i in 0..<3000 {
            let a = Double(rng.normal()), b = Double(rng.normal())
            if i % 10 < 3 {
                (x[i, 0], x[i, 1]) = (Float(-3 + 0.5 * a), Float(0.2 * b))
            } else {
                (x[i, 0], x[i, 1]) = (Float(2 + a), Float(2 + 0.8 * a + 0.6 * b))
            }
        }
        return x
    }

    @Test(arguments: [GaussianMixture.Covariance.full, .diagonal])
    func recoversTheComponents(_ covariance: GaussianMixture.Covariance) throws {
        let fit = try GaussianMixture.fit(points(seed: 3), components: 2, covariance: covariance, seed: 1)
        let small = fit.means[0][0] < fit.means[1][0] ? 0 : 1, large = 1 - small
        #expect(abs(fit.weights[small] - 0.3) < 0.02)
        #expect(abs(fit.means[small][0] + 3) < 0.05 && abs(fit.means[small][1]) < 0.05)
        #expect(abs(fit.means[large][0] - 2) < 0.1 && abs(fit.means[large][1] - 2) < 0.1)
        if covariance == .full {
            // Var 1 and 1, covariance 0.8 in the large component.
            let s = fit.covariances[large]
            #expect(abs(s[0] - 1) < 0.1 && abs(s[3] - 1) < 0.1 && abs(s[1] - 0.8) < 0.1 && s[1] == s[2])
        } else {
            #expect(abs(fit.covariances[small][0] - 0.25) < 0.03 && abs(fit.covariances[small][1] - 0.04) < 0.01)
        }
        // Samples follow the fit: the share left of x = 0 is the small component's weight.
        var rng = RandomGenerator(seed: 9)
        let samples = try fit.sample(count: 4000, rng: &rng)
        let left = (0..<4000).filter { samples[$0, 0] < 0 }.count
        #expect(abs(Double(left) / 4000 - fit.weights[small]) < 0.03)
        // The full fit explains the correlated data better.
        if covariance == .full {
            let diagonal = try GaussianMixture.fit(points(seed: 3), components: 2, covariance: .diagonal, seed: 1)
            #expect(fit.logLikelihood > diagonal.logLikelihood + 0.1)
        }
    }

    @Test func sameSeedSameFitAndTooFewPointsIsAnError() throws {
        let a = try GaussianMixture.fit(points(seed: 4), components: 3, seed: 7)
        let b = try GaussianMixture.fit(points(seed: 4), components: 3, seed: 7)
        #expect(a == b)
        #expect(throws: LatentError.self) { try GaussianMixture.fit(Tensor(zeros: [2, 2]), components: 3, seed: 1) }
    }
}
