import CCrypto
import Foundation

/// Incremental SHA-256 (OpenSSL's EVP interface): the fingerprint of a table file and of a folder of
/// pictures, and the key of the decoded-picture cache.
struct SHA256 {
    private let context = EVP_MD_CTX_new()

    init() { EVP_DigestInit_ex(context, EVP_sha256(), nil) }

    /// Adds bytes.
    func update(_ data: Data) {
        _ = data.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    /// Adds the bytes of a buffer (no copy).
    func update(_ bytes: UnsafeRawBufferPointer) { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }

    /// Adds a string's UTF-8 bytes.
    func update(_ text: String) { update(Data(text.utf8)) }

    /// The digest as lower-case hex (the hasher is spent).
    func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        EVP_MD_CTX_free(context)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
