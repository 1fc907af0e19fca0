import LatentAutodiff
import LatentNN
import LatentTensor

/// A `VariationalAutoencoder` whose posterior draws z₀ pass through a normalising flow before the decoder (a
/// subclass's `flow`: planar maps, or IAF steps), so that log q(z_K|x) = log q(z₀|x) − Σ log |det|. Trains on the
/// one-draw estimate of the KL; importance sampling goes through the flow (`transformDraws`).
public class PosteriorFlowAutoencoder: VariationalAutoencoder {
    /// z_K from z₀, and Σ log |det ∂z_K/∂z₀| per row [n, 1] (nil: no flow).
    public func flow(_ z: Variable) -> (z: Variable, logDeterminant: Variable?) { (z, nil) }

    /// Reconstruction of x from z_K + weight·(log q(z₀|x) − Σ log |det| − log N(z_K; 0, I)), one draw per
    /// image.
    public override func loss(_ batch: Batch, noise: Tensor, klWeight: Float? = nil) -> LossTerms {
        let weight = klWeight ?? config.beta
        let (mu, logVar) = posterior(Variable(batch.x), labels: batch.labels)
        let z0 = Variable.reparameterize(mean: mu, logVariance: logVar, noise: noise)
        let (zK, logDet) = flow(z0)
        let recon = ReconstructionLoss.negativeLogLikelihood(
            logits: logits(zK, labels: batch.labels), targets: batch.x, likelihood: config.likelihood,
            logVariance: logVarianceVariable(config, outputLogVariance), identityMean: config.hasIdentityMean)
        // log q(z₀|x) − log N(z_K; 0, I), with log N(z_K; 0, I) = −½‖z_K‖² (the log 2π terms cancel).
        var kl = sampledLogPosterior(logVariance: logVar, noise: noise) + zK.square().sum() * 0.5
        if let logDet { kl = kl - logDet.sum() }
        let total = weight == 1 ? recon + kl : recon + kl * weight
        return LossTerms(total: total, parts: [("reconstruction", recon.value.scalar), ("kl", kl.value.scalar)])
    }

    /// The code: the posterior mean carried through the flows.
    public override func encode(_ x: Tensor, labels: [Int]) -> Tensor {
        flow(posterior(Variable(x), labels: labels).mean).z.value
    }

    /// z_K for posterior draws z₀ [rows, latent], and log q(z_K|x) − log q(z₀|x) = −Σ log |det| per row.
    public override func transformDraws(_ z: Tensor) -> (z: Tensor, logDensityChange: [Double])? {
        let (zK, logDet) = flow(Variable(z))
        return (zK.value, (0..<z.shape[0]).map { -Double(logDet?.value.data[$0] ?? 0) })
    }

    /// The KL is the flows' estimate, not the analytic Gaussian one.
    public override var hasAnalyticKL: Bool { false }
}
