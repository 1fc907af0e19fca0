/// The registry: the members of the family (`latent train --model …`), each described by one file of `Kinds/`.
/// Adding a kind is a case here, its file, and (for its own flags) the CLI's `KindOptions`; nothing else names it.
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// Autoencoder: deterministic code, reconstruction loss.
    case ae
    /// Sparse autoencoder: AE + a sparsity penalty on the encoder's last hidden layer.
    case sae
    /// Denoising autoencoder: AE trained to reconstruct clean inputs from corrupted ones.
    case dae
    /// Variational autoencoder (β-VAE with β ≠ 1).
    case vae
    /// Importance-weighted autoencoder (Burda et al. 2015): the VAE's networks trained on the k-sample bound.
    case iwae
    /// Conditional VAE: a one-hot label goes into encoder and decoder.
    case cvae
    /// An MLP classifier, to judge generated digits and for semi-supervised work.
    case classifier
    /// Log-cosh VAE (Chen et al. 2019): the VAE with a log-cosh reconstruction term.
    case logcoshvae
    /// β-TCVAE (Chen et al. 2018): the VAE with its KL split into mutual information, total correlation and
    /// dimension-wise KL, each weighed.
    case betatcvae
    /// Wasserstein autoencoder with the MMD penalty (Tolstikhin et al. 2018).
    case wae
    /// InfoVAE with the MMD divergence (Zhao et al. 2019).
    case infovae
    /// DIP-VAE I and II (Kumar et al. 2018): the VAE with a penalty on the covariance of its codes.
    case dipvae
    /// Regularised autoencoder with L2 penalties (Ghosh et al. 2020), sampled through a fitted mixture.
    case rae
    /// Sliced-Wasserstein autoencoder (Kolouri et al. 2019).
    case swae
    /// β-VAE with an annealed capacity (Burgess et al. 2018): γ·|KL − C(t)|, C raised over the epochs.
    case annealedvae
    /// FactorVAE (Kim & Mnih 2018): the VAE with γ·TC, the total correlation estimated by a discriminator.
    case factorvae
    /// Adversarial autoencoder (Makhzani et al. 2016): codes matched to the prior by a discriminator.
    case aae
    /// Categorical VAE (Jang et al. 2017): a code of categorical variables, trained through the Gumbel-softmax.
    case categoricalvae
    /// Regularised autoencoder with a gradient penalty (Ghosh et al. 2020), sampled through a fitted mixture.
    case raegp
    /// JointVAE (Dupont 2018): Gaussian and categorical codes, each KL held to a capacity raised over the epochs.
    case jointvae
    /// MS-SSIM VAE (Snell et al. 2017): the VAE with a multi-scale structural-similarity reconstruction term.
    case msssimvae
    /// Hyperspherical VAE (Davidson et al. 2018): a von Mises–Fisher posterior on the sphere, a uniform prior.
    case svae
    /// Poincaré VAE (Mathieu et al. 2019): wrapped normals in the Poincaré ball of curvature −c.
    case poincarevae
    /// VAE-GAN (Larsen et al. 2016): the reconstruction measured in a discriminator's features, trained as a GAN.
    case vaegan
    /// VQ-VAE (van den Oord et al. 2017): the code quantized by a codebook moved by moving averages.
    case vqvae
    /// MIWAE (Rainforth et al. 2018): the IWAE's networks trained on the mean of m k-sample bounds.
    case miwae
    /// CIWAE (Rainforth et al. 2018): the IWAE's networks trained on β·ELBO + (1 − β)·(k-sample bound).
    case ciwae
    /// VampPrior VAE (Tomczak & Welling 2018): the VAE with a mixture prior over learned pseudo-inputs' posteriors.
    case vamp
    /// VAE with planar normalising flows on its posterior (Rezende & Mohamed 2015; Pythae's `VAE_LinNF`).
    case linnf
    /// IWAE with two stochastic layers (Burda et al. 2015); with k = 1 the two-layer VAE.
    case iwae2
    /// VAE with a learned mixture-of-Gaussians prior.
    case mogvae
    /// VAE with an inverse autoregressive flow on its posterior (Kingma et al. 2016; Pythae's `VAE_IAF`).
    case iaf

    /// The file that describes this kind: how to build it, what it can do, its own rules.
    public var member: any ModelFamilyMember.Type {
        switch self {
        case .ae: AE.self
        case .sae: SAE.self
        case .dae: DAE.self
        case .vae: VAE.self
        case .iwae: IWAE.self
        case .cvae: CVAE.self
        case .classifier: ClassifierKind.self
        case .logcoshvae: LogCoshVAE.self
        case .betatcvae: BetaTCVAE.self
        case .wae: WAE.self
        case .infovae: InfoVAE.self
        case .dipvae: DIPVAE.self
        case .rae: RAE.self
        case .swae: SWAE.self
        case .annealedvae: AnnealedVAE.self
        case .factorvae: FactorVAE.self
        case .aae: AdversarialAE.self
        case .categoricalvae: CategoricalVAE.self
        case .raegp: RAEGP.self
        case .jointvae: JointVAE.self
        case .msssimvae: MSSSIMVAE.self
        case .svae: HypersphericalVAE.self
        case .poincarevae: PoincareVAE.self
        case .vaegan: VAEGAN.self
        case .vqvae: VQVAE.self
        case .miwae: MIWAE.self
        case .ciwae: CIWAE.self
        case .vamp: VAMP.self
        case .linnf: LinearFlowVAE.self
        case .iwae2: TwoLayerIWAE.self
        case .mogvae: MoGVAE.self
        case .iaf: IAFVAE.self
        }
    }
}
