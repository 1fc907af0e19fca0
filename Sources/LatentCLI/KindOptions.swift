import ArgumentParser
import Latent

/// The kinds' own flags, and how each becomes its kind's setting: the one CLI file besides the registry that names
/// kinds (`Scripts/design/kind_files.py`). A new kind with flags adds them here; nothing else in the CLI changes.
struct KindOptions: ParsableArguments {
    @Option(help: "IWAE, MIWAE, CIWAE: importance samples per image in the training bound.") var k: Int = 5
    @Flag(help: "IWAE, MIWAE: the encoder's doubly-reparameterised gradient (DReG, Tucker et al. 2019).")
    var dreg = false
    @Option(help: "MIWAE: bounds of k samples per image, averaged, 1 … 1000 (default 5, Pythae's).") var m: Int?
    @Option(
        name: .customLong("upper-hidden"),
        help: "Two-layer IWAE (iwae2): hidden widths of the upper layer's networks, h₁ ↔ h₂ (default 100,100).")
    var upperHidden: String?
    @Option(
        name: .customLong("upper-latent"), help: "Two-layer IWAE (iwae2): size of the upper code h₂ (default 50).")
    var upperLatent: Int?
    @Option(name: .customLong("made-blocks"), help: "IAF VAE (iaf): IAF steps, 1 … 16 (default 2, Pythae's).")
    var madeBlocks: Int?
    @Option(name: .customLong("made-layers"), help: "IAF VAE (iaf): hidden layers per MADE, 1 … 8 (default 3).")
    var madeLayers: Int?
    @Option(name: .customLong("made-width"), help: "IAF VAE (iaf): units per MADE layer, 2 … 4096 (default 128).")
    var madeWidth: Int?
    @Option(
        name: .customLong("mixture-components"),
        help: "Mixture-prior VAE (mogvae): the prior's learned Gaussian components, 1 … 5000 (default 10).")
    var mixtureComponents: Int?
    @Option(help: "Planar-flow VAE (linnf): planar flows on the posterior's draws, 1 … 64 (default 2, Pythae's).")
    var flows: Int?
    @Option(
        name: .customLong("pseudo-inputs"),
        help: "VampPrior VAE: learned pseudo-inputs C of its mixture prior, 1 … 5000 (default 500).")
    var pseudoInputs: Int?
    @Option(
        name: .customLong("elbo-weight"),
        help: "CIWAE: weight β of the ELBO in β·ELBO + (1 − β)·IWAE, in [0, 1] (default 0.5, Pythae's).")
    var elboWeight: Float?
    @Option(
        name: .customLong("sparsity-target"), help: "SAE: target mean activation ρ of the sparse layer (KL penalty).")
    var sparsityTarget: Float = 0.05
    @Option(name: .customLong("sparsity-weight"), help: "SAE: weight of the KL(ρ‖ρ̂) penalty.") var sparsityWeight:
        Float = 3
    @Option(help: "SAE: use an L1 penalty of this weight on the activations instead of KL.") var l1: Float?
    @Option(help: "DAE corruption: gaussian:σ, mask:p or salt-pepper:p.") var noise: String?
    @Option(
        name: .customLong("log-cosh-alpha"),
        help: "Log-cosh VAE: α of its loss, Σ log cosh(α·(x̂ − x)) / α (default 10).")
    var logCoshAlpha: Float?
    @Option(
        name: .customLong("ssim-weight"),
        help: "MS-SSIM VAE: weight w of w·(1 − MS-SSIM) per image (default: the picture's number of values).")
    var ssimWeight: Float?
    @Option(
        name: .customLong("ssim-window"), help: "MS-SSIM VAE: the Gaussian window's odd width, 3 … 31 (default 11).")
    var ssimWindow: Int?
    @Option(help: "Poincaré VAE: curvature c of the ball {z : c‖z‖² < 1}, 0 < c ≤ 100 (default 1).")
    var curvature: Float?
    @Option(
        name: .customLong("tc-alpha"), help: "β-TCVAE: weight α of the index-code mutual information (default 1).")
    var tcAlpha: Float?
    @Option(name: .customLong("tc-weight"), help: "β-TCVAE: weight β of the total correlation (default 6).")
    var tcWeight: Float?
    @Option(name: .customLong("tc-gamma"), help: "β-TCVAE: weight γ of the dimension-wise KL (default 1).")
    var tcGamma: Float?
    @Option(
        name: .customLong("tc-estimator"),
        help: "β-TCVAE: q(z) by minibatch-stratified (mss, default) or minibatch-weighted (mws) sampling.")
    var tcEstimator: String?
    @Option(name: .customLong("mmd-weight"), help: "WAE: weight λ of the MMD penalty (default 0.03, Pythae's).")
    var mmdWeight: Float?
    @Option(
        name: .customLong("mmd-kernel"),
        help: "WAE, InfoVAE: the MMD's kernel, imq (inverse multiquadric at 7 scales, default) or rbf.")
    var mmdKernel: String?
    @Option(name: .customLong("mmd-bandwidth"), help: "WAE, InfoVAE: the kernel's bandwidth h (default 1).")
    var mmdBandwidth: Float?
    @Option(
        name: .customLong("info-alpha"), help: "InfoVAE: α; the KL weighs 1 − α, the MMD α + λ − 1 (default 0)."
    )
    var infoAlpha: Float?
    @Option(name: .customLong("info-lambda"), help: "InfoVAE: λ (default 1000).")
    var infoLambda: Float?
    @Option(name: .customLong("dip-type"), help: "DIP-VAE: i (covariance of the means, default) or ii (of the codes).")
    var dipType: String?
    @Option(
        name: .customLong("dip-off-diagonal"), help: "DIP-VAE: weight λ_od of the off-diagonal terms (default 10).")
    var dipOffDiagonal: Float?
    @Option(
        name: .customLong("dip-diagonal"),
        help: "DIP-VAE: weight λ_d of the diagonal (default 10·λ_od for i, λ_od for ii).")
    var dipDiagonal: Float?
    @Option(
        name: .customLong("embedding-weight"), help: "RAE, RAE-GP: weight β of ½|z|² on the codes (default 1e-4).")
    var embeddingWeight: Float?
    @Option(
        name: .customLong("decoder-l2"), help: "RAE: weight λ of ½‖θ‖² on the decoder (default 1e-7).")
    var decoderL2: Float?
    @Option(
        name: .customLong("gradient-penalty"),
        help: "RAE-GP: weight λ of |∇ₓ Σ x̂|², the input gradient of the output (default 1e-7, Pythae's).")
    var gradientPenalty: Float?
    @Option(name: .customLong("sw-weight"), help: "SWAE: weight λ of the sliced Wasserstein distance (default 10).")
    var swWeight: Float?
    @Option(name: .customLong("sw-projections"), help: "SWAE: random directions per step (default 50).")
    var swProjections: Int?
    @Option(name: .customLong("sw-power"), help: "SWAE: p of SW_p^p (default 2).")
    var swPower: Float?
    @Option(
        name: .customLong("capacity"),
        help: "Annealed β-VAE, JointVAE: the final (continuous) capacity C in nats (default 50, 5).")
    var capacity: Float?
    @Option(
        name: .customLong("capacity-weight"),
        help: "Annealed β-VAE, JointVAE: weight γ of |KL − C(t)| (default 10, 30).")
    var capacityWeight: Float?
    @Option(
        name: .customLong("capacity-epochs"),
        help: "Annealed β-VAE, JointVAE: epochs T over which C(t) rises (default 25).")
    var capacityEpochs: Int?
    @Option(
        name: .customLong("discrete-capacity"), help: "JointVAE: the discrete KL's final capacity in nats (default 5).")
    var discreteCapacity: Float?
    @Option(name: .customLong("factor-gamma"), help: "FactorVAE: weight γ of the total correlation (default 2).")
    var factorGamma: Float?
    @Option(
        name: .customLong("discriminator-lr"),
        help: "FactorVAE, AAE, VAE-GAN: the discriminator's Adam learning rate (default 1e-4).")
    var discriminatorLR: Float?
    @Option(
        name: .customLong("discriminator-width"),
        help: "FactorVAE, AAE, VAE-GAN: units per discriminator layer (default 1000, 256, 256).")
    var discriminatorWidth: Int?
    @Option(
        name: .customLong("discriminator-layers"),
        help: "FactorVAE, AAE, VAE-GAN: discriminator hidden layers (default 5, 1, 1).")
    var discriminatorLayers: Int?
    @Option(
        name: .customLong("adversarial-weight"),
        help: "AAE: weight α of the adversarial term; VAE-GAN: the decoder's s, in [0, 1) (default 0.5).")
    var adversarialWeight: Float?
    @Option(
        name: .customLong("feature-layer"),
        help: "VAE-GAN: the discriminator layer compared for reconstruction, 1 … layers + 1 (default: layers).")
    var featureLayer: Int?
    @Option(
        name: .customLong("gan-equilibrium"),
        help: "VAE-GAN: the cross-entropy its gate balances the discriminator at (default 0.68).")
    var ganEquilibrium: Float?
    @Option(
        name: .customLong("gan-margin"),
        help: "VAE-GAN: the gate's margin around its equilibrium (default 0.4).")
    var ganMargin: Float?
    @Option(help: "VQ-VAE: entries K of the codebook, 2 … 65536 (default 512).") var codebook: Int?
    @Option(
        name: .customLong("codebook-dim"),
        help: "VQ-VAE: values D per codebook entry; the code is latent / D positions (default 1, Pythae's).")
    var codebookDim: Int?
    @Option(help: "VQ-VAE: weight β of the commitment, the mean of (z_e − sg(z_q))² (default 0.25).")
    var commitment: Float?
    @Option(
        name: .customLong("codebook-decay"), help: "VQ-VAE: decay of the codebook's moving averages (default 0.99).")
    var codebookDecay: Float?
    @Option(help: "Categorical VAE, JointVAE: classes per categorical variable (default 10).")
    var categories: Int?
    @Option(help: "Categorical VAE, JointVAE: the Gumbel-softmax temperature (of the first epoch; default 1, 0.67).")
    var temperature: Float?
    @Option(
        name: .customLong("temperature-min"), help: "Categorical VAE: the temperature's floor τ_min (default 0.5).")
    var temperatureMin: Float?
    @Option(
        name: .customLong("anneal-rate"),
        help: "Categorical VAE: r of τ = max(τ_min, τ₀·e^(−r·(epoch − 1))) (default 0.1).")
    var annealRate: Float?

    /// `--model`'s default.
    static let defaultKind = ModelKind.vae

    /// `--model`'s help: every kind of the registry.
    static let modelHelp = "Model: " + ModelKind.allCases.map(\.rawValue).joined(separator: ", ") + "."

    /// The library's names of the kinds' settings → their flags (for `ErrorMessages`).
    static let flags = [
        "importanceSamples": "--k", "doublyReparameterised": "--dreg", "importanceGroups": "--m",
        "elboWeight": "--elbo-weight", "pseudoInputs": "--pseudo-inputs", "flows": "--flows",
        "mixtureComponents": "--mixture-components", "madeBlocks": "--made-blocks", "madeLayers": "--made-layers",
        "madeWidth": "--made-width",
        "upperHidden": "--upper-hidden", "upperLatent": "--upper-latent", "sparsity": "--model sae",
        "sparsityWeight": "--sparsity-weight",
        "sparsityTarget": "--sparsity-target", "noise": "--noise", "logCoshAlpha": "--log-cosh-alpha",
        "ssimWeight": "--ssim-weight", "ssimWindow": "--ssim-window", "curvature": "--curvature",
        "tcAlpha": "--tc-alpha", "tcWeight": "--tc-weight", "tcGamma": "--tc-gamma", "mmdWeight": "--mmd-weight",
        "mmdKernel": "--mmd-bandwidth", "infoAlpha": "--info-alpha", "infoLambda": "--info-lambda",
        "dipOffDiagonal": "--dip-off-diagonal", "dipDiagonal": "--dip-diagonal",
        "embeddingWeight": "--embedding-weight", "decoderL2": "--decoder-l2", "gradientPenalty": "--gradient-penalty",
        "swWeight": "--sw-weight",
        "swProjections": "--sw-projections", "swPower": "--sw-power", "capacity": "--capacity",
        "continuousCapacity": "--capacity",
        "discreteCapacity": "--discrete-capacity",
        "capacityWeight": "--capacity-weight", "capacityEpochs": "--capacity-epochs", "factorGamma": "--factor-gamma",
        "discriminatorLearningRate": "--discriminator-lr", "discriminatorWidth": "--discriminator-width",
        "discriminatorLayers": "--discriminator-layers", "adversarialWeight": "--adversarial-weight",
        "codebookSize": "--codebook", "codebookDimension": "--codebook-dim", "commitment": "--commitment",
        "codebookDecay": "--codebook-decay", "featureLayer": "--feature-layer",
        "ganEquilibrium": "--gan-equilibrium", "ganMargin": "--gan-margin",
        "categories": "--categories", "temperature": "--temperature", "minimumTemperature": "--temperature-min",
        "annealRate": "--anneal-rate",
    ]

    /// Bounds of the kinds' flags.
    func validate() throws {
        try bounded(k, "--k", 1...5000)
        if let m { try bounded(m, "--m", 1...1000) }
        if let pseudoInputs { try bounded(pseudoInputs, "--pseudo-inputs", 1...5000) }
        if let flows { try bounded(flows, "--flows", 1...64) }
        if let mixtureComponents { try bounded(mixtureComponents, "--mixture-components", 1...5000) }
        if let madeBlocks { try bounded(madeBlocks, "--made-blocks", 1...16) }
        if let madeLayers { try bounded(madeLayers, "--made-layers", 1...8) }
        if let madeWidth { try bounded(madeWidth, "--made-width", 2...4096) }
        if let upperLatent { try bounded(upperLatent, "--upper-latent", 1...1024) }
        if let upperHidden { _ = try Self.widths(upperHidden) }
        if let tcEstimator, !["mss", "mws"].contains(tcEstimator) {
            throw ValidationError("--tc-estimator: expected mss or mws, got '\(tcEstimator)'")
        }
        if let dipType, !["i", "ii"].contains(dipType) {
            throw ValidationError("--dip-type: expected i or ii, got '\(dipType)'")
        }
        if let mmdKernel, !["imq", "rbf"].contains(mmdKernel) {
            throw ValidationError("--mmd-kernel: expected imq or rbf, got '\(mmdKernel)'")
        }
    }

    /// A flag of another kind than `kind`, given on purpose: what it applies to.
    func ineffective(for kind: ModelKind) -> String? {
        if k != 5 && ![.iwae, .miwae, .ciwae, .iwae2].contains(kind) {
            return "--k applies to --model iwae, miwae, ciwae and iwae2"
        }
        if dreg && ![.iwae, .miwae].contains(kind) { return "--dreg applies to --model iwae and miwae" }
        if m != nil && kind != .miwae { return "--m applies to --model miwae" }
        if elboWeight != nil && kind != .ciwae { return "--elbo-weight applies to --model ciwae" }
        if pseudoInputs != nil && kind != .vamp { return "--pseudo-inputs applies to --model vamp" }
        if flows != nil && kind != .linnf { return "--flows applies to --model linnf" }
        if mixtureComponents != nil && kind != .mogvae { return "--mixture-components applies to --model mogvae" }
        if madeBlocks != nil || madeLayers != nil || madeWidth != nil, kind != .iaf {
            return "--made-blocks, --made-layers and --made-width apply to --model iaf"
        }
        if (upperHidden != nil || upperLatent != nil) && kind != .iwae2 {
            return "--upper-hidden and --upper-latent apply to --model iwae2"
        }
        if (sparsityTarget != 0.05 || sparsityWeight != 3 || l1 != nil) && kind != .sae {
            return "--sparsity-target, --sparsity-weight and --l1 apply to --model sae"
        }
        if logCoshAlpha != nil && kind != .logcoshvae { return "--log-cosh-alpha applies to --model logcoshvae" }
        if (ssimWeight != nil || ssimWindow != nil) && kind != .msssimvae {
            return "--ssim-weight and --ssim-window apply to --model msssimvae"
        }
        if curvature != nil && kind != .poincarevae { return "--curvature applies to --model poincarevae" }
        if [tcAlpha, tcWeight, tcGamma].contains(where: { $0 != nil }) || tcEstimator != nil, kind != .betatcvae {
            return "--tc-alpha, --tc-weight, --tc-gamma and --tc-estimator apply to --model betatcvae"
        }
        if mmdWeight != nil && kind != .wae { return "--mmd-weight applies to --model wae" }
        if (mmdKernel != nil || mmdBandwidth != nil) && ![.wae, .infovae].contains(kind) {
            return "--mmd-kernel and --mmd-bandwidth apply to --model wae and infovae"
        }
        if (infoAlpha != nil || infoLambda != nil) && kind != .infovae {
            return "--info-alpha and --info-lambda apply to --model infovae"
        }
        if (dipType != nil || dipOffDiagonal != nil || dipDiagonal != nil) && kind != .dipvae {
            return "--dip-type, --dip-off-diagonal and --dip-diagonal apply to --model dipvae"
        }
        if embeddingWeight != nil && ![.rae, .raegp].contains(kind) {
            return "--embedding-weight applies to --model rae and raegp"
        }
        if decoderL2 != nil && kind != .rae { return "--decoder-l2 applies to --model rae" }
        if gradientPenalty != nil && kind != .raegp { return "--gradient-penalty applies to --model raegp" }
        if (swWeight != nil || swProjections != nil || swPower != nil) && kind != .swae {
            return "--sw-weight, --sw-projections and --sw-power apply to --model swae"
        }
        if capacity != nil || capacityWeight != nil || capacityEpochs != nil,
            ![.annealedvae, .jointvae].contains(kind)
        {
            return "--capacity, --capacity-weight and --capacity-epochs apply to --model annealedvae and jointvae"
        }
        if discreteCapacity != nil && kind != .jointvae { return "--discrete-capacity applies to --model jointvae" }
        if (categories != nil || temperature != nil) && ![.categoricalvae, .jointvae].contains(kind) {
            return "--categories and --temperature apply to --model categoricalvae and jointvae"
        }
        if factorGamma != nil && kind != .factorvae { return "--factor-gamma applies to --model factorvae" }
        if adversarialWeight != nil && ![.aae, .vaegan].contains(kind) {
            return "--adversarial-weight applies to --model aae and vaegan"
        }
        if codebook != nil || codebookDim != nil || commitment != nil || codebookDecay != nil, kind != .vqvae {
            return "--codebook, --codebook-dim, --commitment and --codebook-decay apply to --model vqvae"
        }
        if featureLayer != nil || ganEquilibrium != nil || ganMargin != nil, kind != .vaegan {
            return "--feature-layer, --gan-equilibrium and --gan-margin apply to --model vaegan"
        }
        if (temperatureMin != nil || annealRate != nil) && kind != .categoricalvae {
            return "--temperature-min and --anneal-rate apply to --model categoricalvae"
        }
        if discriminatorLR != nil || discriminatorWidth != nil || discriminatorLayers != nil,
            ![.factorvae, .aae, .vaegan].contains(kind)
        {
            return "--discriminator-lr, --discriminator-width and --discriminator-layers apply to --model factorvae, "
                + "aae and vaegan"
        }
        return nil
    }

    /// Sets the kind's own settings of `config` from the flags (a --noise on another kind is left for
    /// `ModelConfig.validate` to refuse).
    func apply(to config: inout ModelConfig) throws {
        if [.iwae, .miwae, .ciwae, .iwae2].contains(config.kind) { config.importanceSamples = k }
        if config.kind == .iwae2 {
            config.upperHidden = try upperHidden.map(Self.widths) ?? [100, 100]
            config.upperLatent = upperLatent ?? 50
        }
        if [.iwae, .miwae].contains(config.kind) { config.doublyReparameterised = dreg ? true : nil }
        if config.kind == .miwae { config.importanceGroups = m ?? 5 }
        if config.kind == .ciwae { config.elboWeight = elboWeight ?? 0.5 }
        if config.kind == .vamp { config.pseudoInputs = pseudoInputs ?? 500 }
        if config.kind == .linnf { config.flows = flows ?? 2 }
        if config.kind == .mogvae { config.mixtureComponents = mixtureComponents ?? 10 }
        if config.kind == .iaf {
            config.madeBlocks = madeBlocks ?? 2
            (config.madeLayers, config.madeWidth) = (madeLayers ?? 3, madeWidth ?? 128)
        }
        if config.kind == .sae {
            config.sparsity =
                l1.map { Sparsity(kind: .l1, weight: $0) }
                ?? Sparsity(kind: .kl, target: sparsityTarget, weight: sparsityWeight)
        }
        if let noise { config.noise = try Corruption(parsing: noise) }
        if config.kind == .logcoshvae { config.logCoshAlpha = logCoshAlpha }
        if config.kind == .msssimvae { (config.ssimWeight, config.ssimWindow) = (ssimWeight, ssimWindow) }
        if config.kind == .poincarevae { config.curvature = curvature }
        if config.kind == .betatcvae {
            let d = TotalCorrelation()
            config.totalCorrelation = TotalCorrelation(
                alpha: tcAlpha ?? d.alpha, beta: tcWeight ?? d.beta, gamma: tcGamma ?? d.gamma,
                stratified: tcEstimator.map { $0 == "mss" } ?? d.stratified)
        }
        if config.kind == .wae { config.mmdWeight = mmdWeight }
        if [.wae, .infovae].contains(config.kind), mmdKernel != nil || mmdBandwidth != nil {
            let h = mmdBandwidth ?? 1
            config.mmdKernel =
                mmdKernel == "rbf" ? .rbf(bandwidth: h) : .imq(bandwidth: h, scales: MMDKernel.pythaeScales)
        }
        if config.kind == .infovae { (config.infoAlpha, config.infoLambda) = (infoAlpha, infoLambda) }
        if config.kind == .annealedvae {
            let d = Capacity()
            config.capacity = Capacity(
                weight: capacityWeight ?? d.weight, nats: capacity ?? d.nats,
                warmupEpochs: capacityEpochs ?? d.warmupEpochs)
        }
        if config.kind == .swae {
            let d = SlicedWasserstein()
            config.slicedWasserstein = SlicedWasserstein(
                weight: swWeight ?? d.weight, projections: swProjections ?? d.projections, power: swPower ?? d.power)
        }
        if config.kind == .rae { (config.embeddingWeight, config.decoderL2) = (embeddingWeight, decoderL2) }
        if config.kind == .raegp {
            (config.embeddingWeight, config.gradientPenalty) = (embeddingWeight, gradientPenalty)
        }
        if config.kind == .dipvae {
            config.decorrelation = Decorrelation(
                typeTwo: dipType == "ii", offDiagonal: dipOffDiagonal ?? 10, diagonal: dipDiagonal)
        }
        if config.kind == .factorvae { config.factorGamma = factorGamma }
        if [.aae, .vaegan].contains(config.kind) { config.adversarialWeight = adversarialWeight }
        if config.kind == .vqvae {
            let d = VectorQuantization()
            config.quantization = VectorQuantization(
                size: codebook ?? d.size, dimension: codebookDim ?? d.dimension, commitment: commitment ?? d.commitment,
                decay: codebookDecay ?? d.decay)
        }
        if config.kind == .vaegan {
            (config.featureLayer, config.ganEquilibrium, config.ganMargin) = (featureLayer, ganEquilibrium, ganMargin)
        }
        if config.kind == .categoricalvae {
            let d = Categorical()
            config.categorical = Categorical(
                categories: categories ?? d.categories, temperature: temperature ?? d.temperature,
                minimumTemperature: temperatureMin ?? d.minimumTemperature, annealRate: annealRate ?? d.annealRate)
        }
        if config.kind == .jointvae {
            let d = JointCode()
            config.joint = JointCode(
                categories: categories ?? d.categories, continuousCapacity: capacity ?? d.continuousCapacity,
                discreteCapacity: discreteCapacity ?? d.discreteCapacity, gamma: capacityWeight ?? d.gamma,
                warmupEpochs: capacityEpochs ?? d.warmupEpochs, temperature: temperature ?? d.temperature)
        }
        if [.factorvae, .aae, .vaegan].contains(config.kind) {
            if discriminatorLR != nil || discriminatorWidth != nil || discriminatorLayers != nil {
                var d =
                    switch config.kind {
                    case .aae: AdversarialAE.defaultDiscriminator
                    case .vaegan: VAEGAN.defaultDiscriminator
                    default: FactorVAE.defaultDiscriminator
                    }
                d.learningRate = discriminatorLR ?? d.learningRate
                d.width = discriminatorWidth ?? d.width
                d.layers = discriminatorLayers ?? d.layers
                config.discriminator = d
            }
        }
    }

    /// Comma-separated widths, each 1 … 16,384, at most 8 (`--upper-hidden`).
    static func widths(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard (1...8).contains(parts.count), parts.allSatisfy({ $0 != nil && (1...16384).contains($0!) }) else {
            throw ValidationError("--upper-hidden: expected 1…8 comma-separated widths of 1…16384, got '\(text)'")
        }
        return parts.map { $0! }
    }

    /// `latent bench`'s settings for a kind that needs some: a DAE's gaussian:0.5, an SAE's KL penalty.
    static func benchDefaults(_ config: inout ModelConfig) {
        if config.kind == .dae { config.noise = Corruption(kind: .gaussian, amount: 0.5) }
        if config.kind == .sae { config.sparsity = Sparsity(kind: .kl, target: 0.05, weight: 3) }
        if [.iwae, .miwae, .ciwae, .iwae2].contains(config.kind) { config.importanceSamples = 5 }
        if config.kind == .iwae2 { (config.upperHidden, config.upperLatent) = ([100, 100], 50) }
        if config.kind == .miwae { config.importanceGroups = 5 }
        if config.kind == .ciwae { config.elboWeight = 0.5 }
        if config.kind == .vamp { config.pseudoInputs = 500 }
        if config.kind == .linnf { config.flows = 2 }
        if config.kind == .mogvae { config.mixtureComponents = 10 }
        if config.kind == .iaf { (config.madeBlocks, config.madeLayers, config.madeWidth) = (2, 3, 128) }
    }
}
