/// Every named random stream derived from one seed (`RandomGenerator(seed:stream:)`): each use has its own, so
/// that, say, changing the number of epochs does not change the initial weights. The numbers are part of the
/// reproducibility contract (same seed, same numbers) and never change.
public enum RandomStream: Sendable {
    /// Initial weights.
    case initialization
    /// The order of training examples in each epoch.
    case shuffling
    /// Sampling noise during training (reparameterisation, corruption of a DAE's inputs).
    case noise
    /// Sampling noise of evaluation (also the ELBO beside an IWAE's bound).
    case evaluation
    /// Samples and pictures.
    case pictures
    /// Corruption when measuring a DAE's denoising.
    case corruption
    /// Dynamic binarisation of training batches.
    case binarization
    /// The fixed binarisation of a test set.
    case testBinarization
    /// The labelled subset of semi-supervised learning.
    case labelledSubset
    /// Initial weights of semi-supervised classifiers.
    case classifierInitialization
    /// The examples disentanglement metrics draw (`Disentanglement`).
    case disentanglement
    /// Block `b` of an importance-sampled likelihood estimate (one stream per block: any thread count gives
    /// the same estimate).
    case importanceBlock(Int)

    /// The stream number.
    public var number: UInt64 {
        switch self {
        case .initialization: 0
        case .shuffling: 1
        case .noise: 2
        case .evaluation: 3
        case .pictures: 4
        case .corruption: 5
        case .binarization: 6
        case .labelledSubset: 61
        case .classifierInitialization: 62
        case .testBinarization: 77
        case .disentanglement: 78
        case .importanceBlock(let b): 1000 + UInt64(b)
        }
    }
}

extension RandomGenerator {
    /// The generator of a named stream of `seed`.
    public init(seed: UInt64, stream: RandomStream) {
        self.init(seed: seed, stream: stream.number)
    }
}
