import Foundation
import Latent
import Testing

/// The disentanglement metrics against `disent`'s own on fixed codes and factors
/// (Scripts/family/make_disent_fixtures.py).
@Suite struct DisentanglementTests {
    static let f = try! Support.fixture("disent.safetensors")

    static var factors: FactorLabels {
        let sizes = (0..<f["sizes"]!.count).map { Int(f["sizes"]![$0]) }
        let values = f["factors"]!
        return FactorLabels(
            names: ["a", "b", "c", "d"], sizes: sizes, indices: (0..<values.count).map { UInt8(values[$0]) })!
    }

    @Test func theMutualInformationGapIsDisents() throws {
        let codes = Self.f["codes"]!, n = codes.shape[0], d = codes.shape[1]
        let columns = (0..<d).map { j in (0..<n).map { Double(codes[$0, j]) } }
        let factors = Self.factors
        let ys = (0..<factors.count).map(factors.column)
        // The mutual information of every code bin with every factor, then the gap.
        let information = Self.f["mutual_information"]!
        for j in 0..<d {
            let bins = Disentanglement.discretized(columns[j])
            #expect(Set(bins).isSubset(of: Set(1...20)) && bins.contains(1) && bins.contains(20))
            for k in 0..<factors.count {
                let mine = Disentanglement.mutualInformation(ys[k], bins)
                #expect(abs(mine - Double(information[j, k])) < 2e-6, "code \(j), factor \(k)")
            }
        }
        let gap = Disentanglement.mutualInformationGap(codes: columns, factors: ys)
        #expect(abs(gap.score - Double(Self.f["mig"]![0])) < 2e-6)
        #expect(gap.score > 0.1)
        // A code that copies a factor has all of its information; beside noise, the gap is nearly 1.
        let copy = Disentanglement.mutualInformationGap(codes: [ys[1].map(Double.init), columns[5]], factors: [ys[1]])
        #expect(copy.score > 0.98 && copy.score <= 1 + 1e-12)
    }

    @Test func theSAPScoreIsDisents() throws {
        // disent fits scikit-learn's LinearSVC (liblinear, to its tolerance); Latent solves the same problem exactly.
        let codes = Self.f["codes"]!, rows = Self.f["sap_rows"]!, factors = Self.factors
        let train = (0..<10_000).map { Int(rows[$0]) }, test = (10_000..<15_000).map { Int(rows[$0]) }
        func columns(_ r: [Int]) -> [[Double]] { (0..<codes.shape[1]).map { j in r.map { Double(codes[$0, j]) } } }
        let ys = (0..<factors.count).map(factors.column)
        let sap = Disentanglement.separatedAttributePredictability(
            codes: columns(train), factors: ys.map { y in train.map { y[$0] } }, testCodes: columns(test),
            testFactors: ys.map { y in test.map { y[$0] } })
        #expect(abs(sap.score - Double(Self.f["sap"]![0])) < 1e-6, "\(sap.score) vs disent's \(Self.f["sap"]![0])")
        // Two classes split at the midpoint of their means, weighted to balance them.
        let predict = Disentanglement.linearClassifier([0, 0.1, 0.2, 1, 1.1, 1.2, 1.3], [0, 0, 0, 1, 1, 1, 1], c: 10)
        #expect(predict(0.3) == 0 && predict(0.9) == 1)
    }

    @Test func theDCIScoresAreDisentsWithinItsOwnSpread() throws {
        // disent fits scikit-learn's GradientBoostingClassifier, whose random feature order decides between exactly
        // equal splits: its scores move by `dci_spread` between seeds; Latent's (first feature wins) must lie
        // within twice that of seed 1's, and its accuracies equal.
        let codes = Self.f["codes"]!, rows = Self.f["sap_rows"]!, factors = Self.factors
        let train = (0..<10_000).map { Int(rows[$0]) }, test = (10_000..<15_000).map { Int(rows[$0]) }
        func columns(_ r: [Int]) -> [[Double]] { (0..<codes.shape[1]).map { j in r.map { Double(codes[$0, j]) } } }
        let ys = (0..<factors.count).map(factors.column)
        let dci = Disentanglement.dci(
            codes: columns(train), factors: ys.map { y in train.map { y[$0] } }, testCodes: columns(test),
            testFactors: ys.map { y in test.map { y[$0] } })
        let theirs = Self.f["dci"]!, spread = Double(Self.f["dci_spread"]![0]), allowed = 2 * spread + 1e-6
        #expect(abs(dci.disentanglement - Double(theirs[0])) < allowed, "\(dci.disentanglement) vs \(theirs[0])")
        #expect(abs(dci.completeness - Double(theirs[1])) < allowed, "\(dci.completeness) vs \(theirs[1])")
        #expect(abs(dci.informativeness.train - Double(theirs[2])) < 2e-3, "\(dci.informativeness.train)")
        #expect(abs(dci.informativeness.test - Double(theirs[3])) < 2e-3, "\(dci.informativeness.test)")
        let importance = Self.f["dci_importance"]!
        var worst = 0.0
        for j in 0..<codes.shape[1] {
            for k in 0..<factors.count { worst = max(worst, abs(dci.importance[j][k] - Double(importance[j, k]))) }
        }
        #expect(worst < 0.01, "largest importance difference \(worst)")
        // Factors as their own codes: each tree splits on its own factor alone; D = C = 1, every prediction right.
        let own = Disentanglement.dci(
            codes: ys.map { y in train.map { Double(y[$0]) } }, factors: ys.map { y in train.map { y[$0] } },
            testCodes: ys.map { y in test.map { Double(y[$0]) } }, testFactors: ys.map { y in test.map { y[$0] } })
        #expect(own.disentanglement > 0.999 && own.completeness > 0.999 && own.informativeness.test == 1)
    }

    @Test func theFactorVAEScoreIsDisentsWithinItsSamplingError() throws {
        // Both draw their votes at random: within four standard errors of the difference of two estimates.
        let scores = DisentanglementScores.measure(codes: Self.f["codes"]!, factors: Self.factors, seed: 1)
        let reference = (train: Double(Self.f["factor_vae_train"]![0]), eval: Double(Self.f["factor_vae_eval"]![0]))
        for (mine, theirs, votes) in [
            (scores.factorVAETrain, reference.train, 10_000.0), (scores.factorVAEEval, reference.eval, 5_000.0),
        ] {
            let error = 4 * (2 * theirs * (1 - theirs) / votes).squareRoot()
            #expect(abs(mine - theirs) < error, "\(mine) vs disent's \(theirs) (± \(error))")
        }
        #expect(abs(scores.mig - Double(Self.f["mig"]![0])) < 0.02)
        // The factors themselves as codes: perfectly disentangled.
        let factors = Self.factors
        let truth = Tensor(uninitialized: [factors.examples, factors.count])
        for i in 0..<factors.examples { for k in 0..<factors.count { truth[i, k] = Float(factors.indices[i * 4 + k]) } }
        let perfect = DisentanglementScores.measure(codes: truth, factors: factors, seed: 2)
        #expect(perfect.factorVAEEval == 1 && perfect.mig > 0.99 && perfect.sap > 0.3, "\(perfect.values)")
        // The majority vote: each dimension goes to the factor that voted for it most.
        let votes = [[5, 0, 1], [2, 7, 1], [0, 0, 0]]
        let accuracy = Disentanglement.majorityVoteAccuracy(train: votes, eval: [[1, 0, 0], [1, 1, 0], [0, 0, 3]])
        #expect(accuracy.train == 13.0 / 16 && accuracy.eval == 2.0 / 6)
    }
}
