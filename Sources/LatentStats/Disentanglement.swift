import Foundation

/// Disentanglement metrics of codes against ground-truth factors, as disentanglement_lib and `disent` compute them
/// (each step named after theirs, so a fixed input gives their figure).
public enum Disentanglement {
    /// Each value's histogram bin among `bins` equal bins from the smallest value to the largest (numpy's
    /// `digitize(x, histogram(x, bins)[1][:-1])`: 1 … bins; a constant column widens its range by ±0.5 first).
    public static func discretized(_ values: [Double], bins: Int = 20) -> [Int] {
        guard var lo = values.min(), var hi = values.max() else { return [] }
        if lo == hi { (lo, hi) = (lo - 0.5, hi + 0.5) }
        let step = (hi - lo) / Double(bins)
        let edges = (0..<bins).map { Double($0) * step + lo }
        return values.map { x in
            var (a, b) = (0, bins)  // the number of edges ≤ x
            while a < b {
                let m = (a + b) / 2
                if edges[m] <= x { a = m + 1 } else { b = m }
            }
            return a
        }
    }

    /// The mutual information of two labellings in nats, as scikit-learn's `mutual_info_score` (terms below
    /// machine epsilon dropped, the sum clipped at 0).
    public static func mutualInformation(_ a: [Int], _ b: [Int]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "mutual information of labellings of different lengths")
        var joint: [SIMD2<Int>: Int] = [:], rows: [Int: Int] = [:], columns: [Int: Int] = [:]
        for (x, y) in zip(a, b) {
            joint[SIMD2(x, y), default: 0] += 1
            rows[x, default: 0] += 1
            columns[y, default: 0] += 1
        }
        let n = Double(a.count)
        var total = 0.0
        for (pair, count) in joint {
            let c = Double(count), share = c / n
            let outer = Double(rows[pair[0]]!) * Double(columns[pair[1]]!)
            let term = share * (log(c) - log(n)) + share * (-log(outer) + log(n) + log(n))
            if abs(term) >= Double.ulpOfOne { total += term }
        }
        return max(total, 0)
    }

    /// The mutual information gap (Chen et al. 2018): for each factor, the gap between the two codes that tell
    /// most about it, over the factor's entropy, averaged over factors. `codes[j]` is code dimension j for every
    /// example, `factors[k]` factor k's value index; codes are discretised into 20 bins first.
    public static func mutualInformationGap(codes: [[Double]], factors: [[Int]]) -> (score: Double, perFactor: [Double])
    {
        precondition(codes.count >= 2, "the mutual information gap needs at least two code dimensions")
        let binned = codes.map { discretized($0) }
        let perFactor = factors.map { y -> Double in
            let informations = binned.map { mutualInformation(y, $0) }.sorted(by: >)
            let entropy = mutualInformation(y, y)
            return entropy > 0 ? (informations[0] - informations[1]) / entropy : .nan
        }
        let defined = perFactor.filter { !$0.isNaN }
        return (defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count), perFactor)
    }

    /// The FactorVAE score's vote (Kim & Mnih 2018): of a batch whose examples share one factor's value, the
    /// active code dimension whose variance (n − 1 in the denominator), over its variance across the data, is the
    /// smallest; nil when no dimension is active.
    public static func factorVAEVote(batch: [[Double]], globalVariances: [Double], active: [Bool]) -> Int? {
        var best: (dimension: Int, ratio: Double)?
        for j in globalVariances.indices where active[j] {
            let ratio = variance(batch.map { $0[j] }) / globalVariances[j]
            if best == nil || ratio < best!.ratio { best = (j, ratio) }
        }
        return best?.dimension
    }

    /// The majority-vote classifier's accuracy on training and evaluation votes ([factor][dimension] counts):
    /// each dimension is assigned the factor that voted for it most (the first on ties), as the FactorVAE score.
    public static func majorityVoteAccuracy(train: [[Int]], eval: [[Int]]) -> (train: Double, eval: Double) {
        let dimensions = train.first?.count ?? 0
        let classifier = (0..<dimensions).map { j in
            train.indices.max { a, b in train[a][j] < train[b][j] || (train[a][j] == train[b][j] && a > b) }!
        }
        func accuracy(_ votes: [[Int]]) -> Double {
            let total = votes.joined().reduce(0, +)
            let right = (0..<dimensions).map { votes[classifier[$0]][$0] }.reduce(0, +)
            return total > 0 ? Double(right) / Double(total) : 0
        }
        return (accuracy(train), accuracy(eval))
    }

    /// The SAP score (Kumar et al. 2018) for discrete factors: for every code dimension and factor, the accuracy on
    /// the test examples of a linear classifier of the factor from that dimension alone (`linearClassifier`, fitted
    /// on the training examples); per factor, the gap between the two best dimensions; the mean over factors.
    /// `codes[j]` / `testCodes[j]` is dimension j for every example.
    public static func separatedAttributePredictability(
        codes: [[Double]], factors: [[Int]], testCodes: [[Double]], testFactors: [[Int]]
    ) -> (score: Double, accuracy: [[Double]]) {
        precondition(codes.count >= 2, "the SAP score needs at least two code dimensions")
        let accuracy = codes.indices.map { j in
            factors.indices.map { k -> Double in
                let predict = linearClassifier(codes[j], factors[k])
                let right = zip(testCodes[j], testFactors[k]).filter { predict($0.0) == $0.1 }.count
                return Double(right) / Double(max(testCodes[j].count, 1))
            }
        }
        let gaps = factors.indices.map { k -> Double in
            let sorted = accuracy.map { $0[k] }.sorted(by: >)
            return sorted[0] - sorted[1]
        }
        return (gaps.reduce(0, +) / Double(max(gaps.count, 1)), accuracy)
    }

    /// scikit-learn's `LinearSVC(C: 0.01, class_weight: "balanced")` on one feature, solved exactly: per class
    /// (one problem for two classes), min ½(w² + b²) + Σᵢ cᵢ max(0, 1 − tᵢ(w·xᵢ + b))² by Newton's
    /// method with backtracking, the bias regularised as liblinear does; cᵢ = C · n / (classes · count of the
    /// class) for the class's own examples (both classes' for two) and C for the others, as liblinear weighs
    /// them. Returns the predictor: the class with the largest decision value.
    public static func linearClassifier(_ x: [Double], _ y: [Int], c: Double = 0.01) -> (Double) -> Int {
        let classes = Array(Set(y)).sorted()
        guard classes.count >= 2 else { return { _ in classes.first ?? 0 } }
        var counts: [Int: Int] = [:]
        for v in y { counts[v, default: 0] += 1 }
        let weight = counts.mapValues { Double(y.count) / (Double(classes.count) * Double($0)) }
        if classes.count == 2 {
            let t = y.map { $0 == classes[1] ? 1.0 : -1.0 }, cost = y.map { c * weight[$0]! }
            let (w, b) = squaredHingeFit(x, t, cost)
            return { w * $0 + b > 0 ? classes[1] : classes[0] }
        }
        let planes = classes.map { k in
            squaredHingeFit(x, y.map { $0 == k ? 1.0 : -1.0 }, y.map { $0 == k ? c * weight[k]! : c })
        }
        return { q in
            var best = 0
            for i in planes.indices where planes[i].w * q + planes[i].b > planes[best].w * q + planes[best].b {
                best = i
            }
            return classes[best]
        }
    }

    /// argmin over (w, b) of ½(w² + b²) + Σᵢ cᵢ max(0, 1 − tᵢ(w·xᵢ + b))² (Newton's method with the
    /// generalised Hessian).
    static func squaredHingeFit(_ x: [Double], _ t: [Double], _ c: [Double]) -> (w: Double, b: Double) {
        func objective(_ w: Double, _ b: Double) -> Double {
            var f = 0.5 * (w * w + b * b)
            for i in x.indices {
                let m = 1 - t[i] * (w * x[i] + b)
                if m > 0 { f += c[i] * m * m }
            }
            return f
        }
        var (w, b) = (0.0, 0.0)
        for _ in 0..<100 {
            var (gw, gb, hww, hwb, hbb) = (w, b, 1.0, 0.0, 1.0)
            for i in x.indices {
                let m = 1 - t[i] * (w * x[i] + b)
                guard m > 0 else { continue }
                gw -= 2 * c[i] * t[i] * m * x[i]
                gb -= 2 * c[i] * t[i] * m
                hww += 2 * c[i] * x[i] * x[i]
                hwb += 2 * c[i] * x[i]
                hbb += 2 * c[i]
            }
            let det = hww * hbb - hwb * hwb
            guard det > 0 else { break }
            let (sw, sb) = ((hbb * gw - hwb * gb) / det, (hww * gb - hwb * gw) / det)
            let before = objective(w, b)
            var step = 1.0
            while objective(w - step * sw, b - step * sb) > before && step > 1e-10 { step /= 2 }
            (w, b) = (w - step * sw, b - step * sb)
            if max(abs(sw), abs(sb)) * step < 1e-12 * max(1, abs(w), abs(b)) { break }
        }
        return (w, b)
    }

    /// The unbiased variance (n − 1 in the denominator) of `values`.
    public static func variance(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }
}
