/// The version `latent --version` prints.
enum LatentVersion {
    /// Semantic version of this build.
    static let current = "0.11.0"
}
