import Foundation
import LatentAutodiff
import LatentTensor

/// The sparse autoencoder: an autoencoder with a penalty on its encoder's last hidden layer (the "sparse
/// layer"): KL(ρ ‖ ρ̂) toward a target mean activation ρ (with a sigmoid sparse layer), or L1 on the activations.
public enum SAE: ModelFamilyMember {
    /// Encodes and decodes; the KL penalty needs the whole batch's mean activations.
    public static let capabilities: ModelCapabilities = [.reconstruct, .wholeBatchLoss]
    /// Its penalty, under "sparsity".
    public static let settingKeys = ["sparsity"]

    /// A `SparseAutoencoder` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        SparseAutoencoder(config, rng: &rng)
    }

    /// A penalty, with weight ≥ 0 and (KL) 0 < ρ < 1, on at least one dense hidden layer.
    public static func validate(_ c: ModelConfig) throws {
        guard let s = c.sparsity else {
            throw LatentError(.model, field: "sparsity", "an sae needs a penalty (KL toward ρ, or L1)")
        }
        guard s.weight >= 0, s.weight.isFinite else {
            throw LatentError(.model, field: "sparsityWeight", "expected a number ≥ 0, got \(s.weight)")
        }
        if s.kind == .kl && !(s.target > 0 && s.target < 1) {
            throw LatentError(.model, field: "sparsityTarget", "expected 0 < ρ < 1, got \(s.target)")
        }
        guard !c.hidden.isEmpty else {
            throw LatentError(
                .model, field: "hidden",
                "an sae penalises its last dense hidden layer; give at least one width (e.g. 256)")
        }
    }

    /// Threads: never (the penalty is on batch statistics); processes: the L1 penalty only, which adds up.
    public static func unsplittableReason(_ c: ModelConfig, processes: Bool) -> String? {
        guard processes else { return "its penalty is on the batch's activations" }
        guard c.sparsity?.kind == .kl else { return nil }
        return "the sae's KL sparsity penalty needs the whole batch's mean activations; train it in one process, "
            + "or use the L1 penalty (`--l1`), which adds up over processes"
    }
}

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

extension ModelConfig {
    /// The SAE's penalty.
    public var sparsity: Sparsity? {
        get { setting("sparsity") }
        set { setSetting("sparsity", newValue) }
    }
}

/// An autoencoder whose loss adds its `Sparsity` penalty on the encoder's last hidden layer.
public final class SparseAutoencoder: Autoencoder, MeasuredModel {
    /// The penalty (read from the configuration once).
    public let sparsity: Sparsity

    /// A new model of configuration `c`; the KL penalty's sparse layer uses a sigmoid (activations in (0, 1)).
    public required init(_ c: ModelConfig, rng: inout RandomGenerator) {
        sparsity = c.sparsity ?? Sparsity(kind: .l1, weight: 0)
        super.init(c, lastActivation: sparsity.kind == .kl ? .sigmoid : nil, rng: &rng)
    }

    /// The penalty on the sparse layer's activations `hidden` of a batch of `rows`.
    public override func penalty(_ hidden: Variable, rows: Int) -> (name: String, value: Variable)? {
        let n = Float(rows), s = sparsity
        switch s.kind {
        case .kl:
            // Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j = the batch's mean activation of unit j; counted once per example.
            let rhoHat = hidden.sumRows() * (1 / n)
            let rho = s.target
            let kl =
                (rhoHat.log() * -rho) + ((rhoHat * -1) + 1).log() * -(1 - rho)
                + (rho * VectorMath.log(rho) + (1 - rho) * VectorMath.log(1 - rho))
            return ("sparsity", kl.sum() * (s.weight * n))
        case .l1:
            return ("sparsity", hidden.abs().sum() * s.weight)
        }
    }

    /// mean_activation: the sparse layer's mean activation over the test set.
    public func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)] {
        var total = 0.0, values = 0
        forEachBatch { batch in
            let h = hiddenActivations(batch.x)
            total += Double(h.sum())
            values += h.count
        }
        return [("mean_activation", total / Double(values))]
    }
}
