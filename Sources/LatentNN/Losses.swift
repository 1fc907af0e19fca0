import LatentAutodiff
import LatentTensor

// Losses as free functions with labelled arguments and a reduction (mlx-swift's style); each is one fused op.

/// Binary cross-entropy of targets in [0, 1] under Bernoulli(sigmoid(logits)), in the stable form.
public func binaryCrossEntropy(logits: Variable, targets: Tensor, reduction: Reduction = .mean) -> Variable {
    Variable.binaryCrossEntropyWithLogits(logits, targets: targets, reduction: reduction)
}

/// Squared error between predictions and targets.
public func meanSquaredError(predictions: Variable, targets: Tensor, reduction: Reduction = .mean) -> Variable {
    Variable.meanSquaredError(predictions, targets: targets, reduction: reduction)
}

/// KL divergence of the diagonal Gaussian N(mean, exp(logVariance)) from N(0, I).
public func klDivergenceToStandardNormal(mean: Variable, logVariance: Variable, reduction: Reduction = .sum) -> Variable
{
    Variable.gaussianKLToStandardNormal(mean: mean, logVariance: logVariance, reduction: reduction)
}

/// Cross-entropy of class labels under softmax(logits).
public func softmaxCrossEntropy(logits: Variable, labels: [Int], reduction: Reduction = .mean) -> Variable {
    Variable.softmaxCrossEntropy(logits, labels: labels, reduction: reduction)
}

/// KL( N(mean1, exp(logVariance1)) ‖ N(mean2, exp(logVariance2)) ) for diagonal Gaussians, per dimension
/// ½(lv2 − lv1 + (exp(lv1) + (m1 − m2)²) / exp(lv2) − 1), reduced. KL to N(0, I) is the case m2 = 0, lv2 = 0
/// (use `klDivergenceToStandardNormal` for it: same value, one fused op). Composed from primitives, so its
/// gradient comes from theirs.
public func klDivergence(
    mean1: Variable, logVariance1: Variable, mean2: Variable, logVariance2: Variable,
    reduction: Reduction = .sum
) -> Variable {
    let diff = mean1 - mean2
    let perDim = ((logVariance2 - logVariance1) + (logVariance1.exp() + diff.square()) / logVariance2.exp() + -1) * 0.5
    return reduction == .sum ? perDim.sum() : perDim.mean()
}
