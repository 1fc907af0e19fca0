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
public func klDivergenceToStandardNormal(mean: Variable, logVariance: Variable, reduction: Reduction = .sum) -> Variable {
    Variable.gaussianKLToStandardNormal(mean: mean, logVariance: logVariance, reduction: reduction)
}
