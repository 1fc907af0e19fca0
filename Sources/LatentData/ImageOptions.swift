import LatentTensor

/// How a folder of pictures becomes a dataset: the training size (each picture scaled to cover it, then
/// centre-cropped), the channels (1 grey, 3 RGB; default: 3 if any picture has colour), whether an unreadable
/// file stops the run, and — for a saved model — the test files recorded in its checkpoint.
public struct ImageOptions: Codable, Equatable, Sendable {
    /// Training width and height; nil: the first readable picture's size.
    public var width: Int?, height: Int?
    /// 1 or 3; nil: 3 if any picture has colour, else 1.
    public var channels: Int?
    /// Refuse the folder if any file cannot be decoded (default: list and skip them).
    public var strict = false
    /// The test split as recorded when the model was trained (relative paths); nil: every tenth file in sorted
    /// order.
    public var testFiles: [String]?

    /// Options with these values.
    public init(width: Int? = nil, height: Int? = nil, channels: Int? = nil, strict: Bool = false) {
        (self.width, self.height, self.channels, self.strict) = (width, height, channels, strict)
    }

    /// The largest training side: 4096 pixels.
    public static let maxSide = 4096

    /// Parses "64" (64 × 64) or "64x48" (width × height), each side 1…4096.
    public static func size(_ text: String) throws -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), let w = parts[0], let h = parts.count == 2 ? parts[1] : w,
            (1...maxSide).contains(w), (1...maxSide).contains(h)
        else {
            throw LatentError(
                .data, field: "imageSize",
                "expected SIDE or WIDTHxHEIGHT, each 1…\(maxSide) (e.g. 64 or 64x48), got '\(text)'")
        }
        return (w, h)
    }

    /// Checks the values; errors name the property.
    public func validate() throws {
        if let channels, channels != 1 && channels != 3 {
            throw LatentError(.data, field: "channels", "expected 1 (grey) or 3 (RGB), got \(channels)")
        }
        for side in [width, height].compactMap({ $0 }) where !(1...Self.maxSide).contains(side) {
            throw LatentError(.data, field: "imageSize", "expected sides of 1…\(Self.maxSide) pixels, got \(side)")
        }
    }
}
