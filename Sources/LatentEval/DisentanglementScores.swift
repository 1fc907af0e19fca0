import LatentData
import LatentModels
import LatentStats
import LatentTensor

/// How well a model's codes separate a dataset's ground-truth factors (`Dataset.factors`, e.g. dSprites): the
/// mutual information gap, the FactorVAE score, the SAP score and DCI, computed as disentanglement_lib and `disent` do,
/// from the codes (posterior means) of the data's examples.
public struct DisentanglementScores: Sendable {
    /// The mutual information gap, averaged over factors, and per factor.
    public var mig: Double, migPerFactor: [Double]
    /// The FactorVAE score: the majority-vote classifier's accuracy on its training and evaluation votes.
    public var factorVAETrain: Double, factorVAEEval: Double
    /// The SAP score (discrete factors), and the examples its classifiers were fitted and tested on.
    public var sap: Double, sapExamples: (train: Int, test: Int)
    /// The DCI scores: disentanglement, completeness, and informativeness (the boosted classifiers' accuracy on
    /// the SAP score's training and test examples).
    public var dci: (disentanglement: Double, completeness: Double, train: Double, test: Double)
    /// The factors' names.
    public var factors: [String]
    /// Examples the mutual information gap used; votes of the FactorVAE score (training, evaluation).
    public var examples: Int, votes: (train: Int, eval: Int)

    /// For `--json`.
    public var values: [String: Any] {
        [
            "mig": mig, "mig_per_factor": Dictionary(uniqueKeysWithValues: zip(factors, migPerFactor)),
            "factor_vae_train_accuracy": factorVAETrain, "factor_vae_eval_accuracy": factorVAEEval,
            "mig_examples": examples, "factor_vae_votes": [votes.train, votes.eval], "sap": sap,
            "sap_examples": [sapExamples.train, sapExamples.test], "dci_disentanglement": dci.disentanglement,
            "dci_completeness": dci.completeness, "dci_informativeness_train": dci.train,
            "dci_informativeness_test": dci.test,
        ]
    }

    /// The scores of `model` on `data`'s examples: the gap over `examples` of them drawn at random (all if fewer),
    /// the SAP score's classifiers and DCI's boosted trees fitted on those and tested on up to half as many others;
    /// the FactorVAE score from the variances over as many, then `votes` training and `votes / 2` evaluation votes,
    /// each of a batch of `batch` examples sharing one factor's value (a factor and a value drawn at random).
    /// Throws where the data has no factors.
    public static func measure(
        _ model: any ReconstructingModel, on data: Dataset, seed: UInt64, examples: Int = 10_000,
        votes: Int = 10_000, batch: Int = 64
    ) throws -> DisentanglementScores {
        guard let factors = data.factors else {
            throw LatentError(
                .evaluation, field: "disentanglement",
                "\(data.name) has no ground-truth factors; train on a dataset that has them (--dataset dsprites)")
        }
        guard model.config.latent >= 2 else {
            throw LatentError(.evaluation, field: "disentanglement", "the metrics need codes of 2 or more dimensions")
        }
        return measure(
            codes: Codes.encode(model, data), factors: factors, seed: seed, examples: examples, votes: votes,
            batch: batch)
    }

    /// The scores of `codes` ([n, d], d ≥ 2: example i's code in row i) against `factors` of the same n examples,
    /// as `measure(_:on:seed:examples:votes:batch:)`.
    public static func measure(
        codes: Tensor, factors: FactorLabels, seed: UInt64, examples: Int = 10_000, votes: Int = 10_000,
        batch: Int = 64
    ) -> DisentanglementScores {
        let n = codes.shape[0], d = codes.shape[1]
        precondition(d >= 2 && n == factors.examples && n > 1, "codes \(codes.shape) for \(factors.examples) examples")
        let values = (0..<(n * d)).map { Double(codes.data[$0]) }  // row-major, read once
        func code(_ i: Int) -> [Double] { Array(values[(i * d)..<((i + 1) * d)]) }
        var rng = RandomGenerator(seed: seed, stream: .disentanglement)
        let order = rng.permutation(n)
        let picked = Array(order.prefix(examples))
        let columns = (0..<d).map { j in picked.map { values[$0 * d + j] } }
        let allColumns = (0..<factors.count).map(factors.column)
        let pickedFactors = allColumns.map { column in picked.map { column[$0] } }
        let gap = Disentanglement.mutualInformationGap(codes: columns, factors: pickedFactors)
        // SAP: classifiers fitted on the gap's examples, tested on up to half as many others.
        let held = Array(order.dropFirst(picked.count).prefix(max(picked.count / 2, 1)))
        let heldCodes = (0..<d).map { j in held.map { values[$0 * d + j] } }
        let heldFactors = allColumns.map { column in held.map { column[$0] } }
        let sap =
            held.isEmpty
            ? (score: Double.nan, accuracy: [[Double]]())
            : Disentanglement.separatedAttributePredictability(
                codes: columns, factors: pickedFactors, testCodes: heldCodes, testFactors: heldFactors)
        let dci = Disentanglement.dci(
            codes: columns, factors: pickedFactors, testCodes: heldCodes, testFactors: heldFactors)

        let variances = columns.map(Disentanglement.variance)
        let active = variances.map { $0.squareRoot() >= 0 }
        var members = [[[Int]]](repeating: [], count: factors.count)
        for f in 0..<factors.count {
            members[f] = Array(repeating: [], count: factors.sizes[f])
            for (i, v) in allColumns[f].enumerated() { members[f][v].append(i) }
        }
        func voting(_ count: Int) -> [[Int]] {
            var table = [[Int]](repeating: Array(repeating: 0, count: d), count: factors.count)
            for _ in 0..<count {
                let f = rng.below(factors.count), value = allColumns[f][rng.below(n)]
                let pool = members[f][value]
                let rows = (0..<batch).map { _ in code(pool[rng.below(pool.count)]) }
                if let j = Disentanglement.factorVAEVote(batch: rows, globalVariances: variances, active: active) {
                    table[f][j] += 1
                }
            }
            return table
        }
        let train = voting(votes), eval = voting(max(votes / 2, 1))
        let accuracy = Disentanglement.majorityVoteAccuracy(train: train, eval: eval)
        return DisentanglementScores(
            mig: gap.score, migPerFactor: gap.perFactor, factorVAETrain: accuracy.train, factorVAEEval: accuracy.eval,
            sap: sap.score, sapExamples: (picked.count, held.count),
            dci: (dci.disentanglement, dci.completeness, dci.informativeness.train, dci.informativeness.test),
            factors: factors.names, examples: picked.count,
            votes: (votes, max(votes / 2, 1)))
    }
}
