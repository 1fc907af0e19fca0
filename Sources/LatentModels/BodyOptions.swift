/// The encoder/decoder body: fully connected, or convolutional (for images whose sides divide by 4).
public enum Architecture: String, Codable, CaseIterable, Sendable {
    /// Dense layers only.
    case mlp
    /// Two kernel-4 stride-2 convolutions (the 28×28 benchmark model), then the dense layers.
    case conv
    /// One kernel-3 stride-2 convolution with BatchNorm per `convChannels` entry, mirrored by transposed
    /// convolutions (PyTorch-VAE's VanillaVAE, for colour images of any size).
    case deepconv
}

/// The decoder's output distribution: Bernoulli (cross-entropy) or Gaussian (squared error with a variance).
public enum Likelihood: String, Codable, CaseIterable, Sendable { case bernoulli, gaussian }

/// The Gaussian likelihood's mean as a function of the decoder's logits: `sigmoid` for data in [0, 1] (pixels,
/// min-max-scaled tables), `identity` for data on the whole real line (standardised or raw tables), which a
/// mean confined to (0, 1) could not reach.
public enum OutputMean: String, Codable, CaseIterable, Sendable { case sigmoid, identity }

/// How pixel intensities become binary observations.
public enum Binarization: String, Codable, CaseIterable, Sendable {
    /// Each training pixel redrawn as Bernoulli(intensity) every time it is seen.
    case dynamic
}
