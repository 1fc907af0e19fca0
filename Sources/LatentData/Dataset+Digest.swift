/// A dataset's content as one SHA-256: what the processes of a distributed training compare before they start,
/// so that two processes given different files or datasets stop instead of training on a mix of both.
extension Dataset {
    /// Lower-case hex SHA-256 of the shape, the examples' bytes (pixels or values), the labels and the class names.
    public var contentDigest: String {
        let hash = SHA256()
        hash.update("\(count) \(height) \(width) \(channels) \(isLabelled) \(classNames ?? [])\n")
        if let values {
            values.withUnsafeBytes { hash.update($0) }
        } else {
            pixels.withUnsafeBytes { hash.update($0) }
        }
        labels.withUnsafeBytes { hash.update($0) }
        return hash.hexDigest()
    }
}
