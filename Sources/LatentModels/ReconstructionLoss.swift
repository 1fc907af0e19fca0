import LatentAutodiff
import LatentNN
import LatentTensor

/// Reconstruction negative log-likelihood of targets x under the decoder's output, summed over the batch.
public enum ReconstructionLoss {
    /// Bernoulli: BCE with logits. Gaussian: mean sigmoid(logits), variance exp(logVariance) (a [1]
    /// variable, learned or constant): ½ Σ [(x − μ)² / σ² + log σ² + log 2π].
    public static func negativeLogLikelihood(
        logits: Variable, targets x: Tensor, likelihood: Likelihood,
        logVariance: Variable?
    ) -> Variable {
        switch likelihood {
        case .bernoulli:
            return binaryCrossEntropy(logits: logits, targets: x, reduction: .sum)
        case .gaussian:
            guard let lv = logVariance else { preconditionFailure("a Gaussian likelihood needs a log-variance") }
            let sq = (logits.sigmoid() - Variable(x)).square().sum()
            let n = Float(x.count)
            return (sq * (lv * -1).exp() * 0.5 + (lv + Gaussian.logTwoPi) * (0.5 * n)).sum()
        }
    }

    /// Mean of the output distribution: sigmoid(logits) for both likelihoods.
    public static func mean(logits: Tensor) -> Tensor { logits.map(.sigmoid) }
}
