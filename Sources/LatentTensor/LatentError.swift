/// The one error type of the library: which layer failed (`domain`), the property or input at fault (`field`,
/// named as in the Swift API, e.g. `hidden` or `learningRate`; a front end maps it to its own vocabulary, as the
/// CLI maps it to a flag) and what was expected. Thrown for bad configurations, files and data; never for
/// programming errors, which trap.
public struct LatentError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The layer that raised the error.
    public enum Domain: String, Sendable {
        case data, checkpoint, model, optimizer, training, render, embedding, statistics, evaluation, server
    }

    /// The layer that raised the error.
    public let domain: Domain
    /// The Swift property or parameter at fault, if one is; nil for files and data.
    public let field: String?
    /// What went wrong and what was expected, without the field.
    public let message: String

    /// An error of `domain`, optionally about `field`.
    public init(_ domain: Domain, field: String? = nil, _ message: String) {
        self.domain = domain
        self.field = field
        self.message = message
    }

    /// "field: message", or the message alone.
    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
