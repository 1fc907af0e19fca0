/// The SAE's penalty: KL(ρ ‖ ρ̂) toward target activation ρ, or L1 on the activations.
public struct Sparsity: Codable, Equatable, Sendable {
    /// The penalty's form.
    public enum Kind: String, Codable, Sendable {
        /// Σ_j KL(ρ ‖ ρ̂_j) on the batch's mean activations (a sigmoid sparse layer).
        case kl
        /// Σ |h| on the activations.
        case l1
    }

    /// The penalty's form.
    public var kind: Kind
    /// ρ, for the KL form.
    public var target: Float
    /// The penalty's weight in the loss.
    public var weight: Float

    /// A penalty of `kind` with weight `weight` (and target ρ for KL).
    public init(kind: Kind, target: Float = 0.05, weight: Float) {
        self.kind = kind
        self.target = target
        self.weight = weight
    }
}
