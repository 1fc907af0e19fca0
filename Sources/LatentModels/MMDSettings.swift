import LatentAutodiff
import LatentTensor

/// The kernel setting the kinds penalised by a maximum mean discrepancy share (the WAE and InfoVAE), and its rules.
extension ModelConfig {
    /// The MMD's kernel (nil: `ModelConfig.defaultMMDKernel`).
    public var mmdKernel: MMDKernel? {
        get { setting("mmdKernel") }
        set { setSetting("mmdKernel", newValue) }
    }

    /// Pythae's kernel: the inverse multiquadric of bandwidth 1 at its seven scales.
    public static let defaultMMDKernel = MMDKernel.imq(bandwidth: 1, scales: MMDKernel.pythaeScales)

    /// A bandwidth in (0, 1000] and 1 to 16 scales in (0, 1000].
    public func checkMMDKernel() throws {
        let kernel = mmdKernel ?? Self.defaultMMDKernel
        guard kernel.bandwidth > 0, kernel.bandwidth <= 1000, kernel.bandwidth.isFinite else {
            throw LatentError(.model, field: "mmdKernel", "expected a bandwidth in (0, 1000], got \(kernel.bandwidth)")
        }
        if case .imq(_, let scales) = kernel {
            guard (1...16).contains(scales.count), scales.allSatisfy({ $0 > 0 && $0 <= 1000 }) else {
                throw LatentError(.model, field: "mmdKernel", "expected 1 to 16 scales in (0, 1000], got \(scales)")
            }
        }
    }

    /// Why training with an MMD cannot be split over processes (threads share the batch's codes).
    public func mmdUnsplittableReason(processes: Bool) -> String? {
        processes ? "the \(kind.rawValue)'s MMD pairs every code of the batch; train it in one process" : nil
    }
}
