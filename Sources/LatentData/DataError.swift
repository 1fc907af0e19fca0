/// A data file or option that cannot be used, with a message naming the file and what was expected.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
