import Synchronization

/// A stop asked for by the user (Ctrl-C, SIGTERM), readable by every layer: long work below training (decoding
/// a folder of pictures) checks it between pieces and gives up within a piece's time. `Interruption` (in
/// LatentTraining) routes the signals here; without it nothing sets it.
public enum StopRequest {
    private static let count = Atomic<Int>(0)

    /// Records one request (async-signal-safe: one atomic add); returns how many there have been.
    @discardableResult
    public static func record() -> Int { count.add(1, ordering: .relaxed).newValue }

    /// Whether a stop was asked for.
    public static var isRequested: Bool { count.load(ordering: .relaxed) > 0 }

    /// Work given up on a stop request: what was stopped and what was kept, as one line.
    public struct Stopped: Error, CustomStringConvertible {
        /// The line.
        public let description: String

        /// A stop described by `description`.
        public init(_ description: String) { self.description = description }
    }
}
