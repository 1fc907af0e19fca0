import LatentAutodiff
import LatentNN
import LatentTensor

/// Reconstruction negative log-likelihood of targets x under the decoder's output, summed over the batch.
public enum ReconstructionLoss {
    /// Bernoulli: BCE with logits. Gaussian: mean sigmoid(logits) (or the logits, with `identityMean`),
    /// variance exp(logVariance) (a [1] variable, learned or constant):
    /// ½ Σ [(x − μ)² / σ² + log σ² + log 2π].
    public static func negativeLogLikelihood(
        logits: Variable, targets x: Tensor, likelihood: Likelihood,
        logVariance: Variable?, identityMean: Bool = false
    ) -> Variable {
        switch likelihood {
        case .bernoulli:
            return binaryCrossEntropy(logits: logits, targets: x, reduction: .sum)
        case .gaussian:
            guard let lv = logVariance else { preconditionFailure("a Gaussian likelihood needs a log-variance") }
            let sq = ((identityMean ? logits : logits.sigmoid()) - Variable(x)).square().sum()
            let n = Float(x.count)
            return (sq * (lv * -1).exp() * 0.5 + (lv + Gaussian.logTwoPi) * (0.5 * n)).sum()
        }
    }

    /// Mean of the output distribution: sigmoid(logits) for both likelihoods, unless `identityMean` (a Gaussian
    /// on the real line): the logits.
    public static func mean(logits: Tensor, identityMean: Bool = false) -> Tensor {
        identityMean ? logits : logits.map(.sigmoid)
    }

    /// Squared error summed over features, for each row of two [n, features] tensors.
    public static func squaredErrors(_ a: Tensor, _ b: Tensor) -> [Double] {
        let f = a.count / a.shape[0]
        return (0..<a.shape[0]).map { r in
            var s = 0.0
            for j in 0..<f {
                let d = Double(a.data[r * f + j] - b.data[r * f + j])
                s += d * d
            }
            return s
        }
    }
}
