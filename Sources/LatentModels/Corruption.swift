import LatentTensor

/// Input corruption for denoising: applied only in training (freshly sampled every batch) and by
/// `latent denoise`; never at plain evaluation. Corrupted pixels stay in [0, 1].
public struct Corruption: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The kind of corruption.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// x + N(0, σ²), clipped to [0, 1].
        case gaussian
        /// Each pixel zeroed with probability p.
        case mask
        /// Each pixel set to 0 or 1 (equally likely) with probability p.
        case saltPepper = "salt-pepper"
    }
    /// Which kind.
    public var kind: Kind
    /// σ for gaussian, p for mask and salt-pepper.
    public var amount: Float

    /// A corruption of `kind` and `amount`.
    public init(kind: Kind, amount: Float) {
        self.kind = kind
        self.amount = amount
    }

    /// Parses "gaussian:0.5", "mask:0.3", "salt-pepper:0.2".
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = Kind(rawValue: parts[0]), let amount = Float(parts[1]), amount >= 0,
            amount.isFinite
        else {
            throw LatentError(
                .model, field: "noise",
                "expected gaussian:σ, mask:p or salt-pepper:p (e.g. gaussian:0.5), got '\(text)'")
        }
        if kind != .gaussian && amount > 1 {
            throw LatentError(.model, field: "noise", "\(kind.rawValue): probability must be ≤ 1, got \(amount)")
        }
        self.kind = kind
        self.amount = amount
    }

    /// "gaussian:0.5".
    public var description: String { "\(kind.rawValue):\(amount)" }

    /// A corrupted copy of `x`.
    public func apply(_ x: Tensor, rng: inout RandomGenerator) -> Tensor {
        let y = Tensor(uninitialized: x.shape)
        let s = x.data, d = y.data, a = amount
        switch kind {
        case .gaussian:
            for i in 0..<x.count { d[i] = min(1, max(0, s[i] + a * rng.normal())) }
        case .mask:
            for i in 0..<x.count { d[i] = rng.uniform() < a ? 0 : s[i] }
        case .saltPepper:
            for i in 0..<x.count {
                let u = rng.uniform()
                d[i] = u < a ? (u < a / 2 ? 0 : 1) : s[i]
            }
        }
        return y
    }
}
