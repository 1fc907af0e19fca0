/// Area under the ROC curve of scores for a binary labelling: the probability that a random positive
/// (anomalous) example scores above a random negative one, ties counting one half (Mann-Whitney U).
public enum ROC {
    /// AUC of `scores` where `positive[i]` marks the examples that should score high; nil if either class is empty.
    public static func auc(scores: [Double], positive: [Bool]) -> Double? {
        precondition(scores.count == positive.count, "one label per score")
        let pos = positive.filter { $0 }.count, neg = positive.count - pos
        guard pos > 0, neg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Average ranks over ties, then U = (sum of positive ranks) − pos(pos + 1)/2.
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for t in i...j where positive[order[t]] { rankSum += rank }
            i = j + 1
        }
        let u = rankSum - Double(pos) * Double(pos + 1) / 2
        return u / (Double(pos) * Double(neg))
    }
}
