import CCrypto
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
    import LatentTensor
#endif

/// Datasets in MNIST's IDX format that Latent can fetch: where from, and the MD5 of each file's
/// uncompressed content (so a re-compressed mirror copy still verifies).
public struct DownloadableDataset: Sendable {
    /// The dataset's name ("fashion-mnist").
    public let name: String
    /// Base URLs tried in turn.
    public let mirrors: [String]
    /// MD5 of the uncompressed IDX content, by file name without ".gz".
    public let md5: [String: String]

    /// The datasets Latent can fetch, by name.
    public static let known: [String: DownloadableDataset] = [
        "mnist": DownloadableDataset(
            name: "mnist", mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/"],
            md5: [
                "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
                "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
                "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
                "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
            ]),
        "fashion-mnist": DownloadableDataset(
            name: "fashion-mnist", mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
            md5: [
                "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
                "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
                "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
            ]),
    ]

    /// Where downloads are kept: $XDG_CACHE_HOME/latent/NAME, else ~/.cache/latent/NAME.
    public var cacheDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("latent").appendingPathComponent(name)
    }

    /// Makes sure `directory` holds all four files, verified; missing ones are fetched from `mirror` (an
    /// http(s) or file URL of a directory) or the known mirrors, each checked before it is renamed into place.
    public func ensure(in directory: URL, mirror: String? = nil, log: (String) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (file, digest) in md5.sorted(by: { $0.key < $1.key }) {
            let target = directory.appendingPathComponent(file + ".gz")
            if FileManager.default.fileExists(atPath: target.path) { continue }
            var errors: [String] = []
            for base in mirror.map({ [$0] }) ?? mirrors {
                let source = base.hasSuffix("/") ? base + file + ".gz" : base + "/" + file + ".gz"
                log("downloading \(source)")
                do {
                    let data = try Self.fetch(source)
                    // Verify the uncompressed content, then move into place atomically.
                    let temporary = directory.appendingPathComponent(".\(file).gz.download")
                    try data.write(to: temporary)
                    defer { try? FileManager.default.removeItem(at: temporary) }
                    let actual = Self.md5Hex(try FileBytes.read(temporary))
                    guard actual == digest else {
                        throw LatentError(
                            .data,
                            """
                            \(source): MD5 of the content is \(actual), expected \(digest) (corrupt or not the \
                            \(name) file)
                            """
                        )
                    }
                    guard rename(temporary.path, target.path) == 0 else {
                        throw LatentError(.data, "\(target.path): cannot write (\(String(cString: strerror(errno))))")
                    }
                    errors = []
                    break
                } catch { errors.append("\(error)") }
            }
            if !errors.isEmpty {
                throw LatentError(
                    .data, field: "dataset",
                    """
                    \(name): could not get \(file).gz (\(errors.joined(separator: "; "))); without internet, give \
                    a directory holding the IDX files with `dataDirectory`
                    """
                )
            }
        }
    }

    static func fetch(_ location: String) throws -> Data {
        guard let url = URL(string: location) else { throw LatentError(.data, "\(location): not a URL") }
        if url.isFileURL { return try Data(contentsOf: url) }
        final class Box: @unchecked Sendable {
            var data: Data?
            var error: Error?
            var status = 0
        }
        let box = Box(), done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.data = data
            box.error = error
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error { throw LatentError(.data, "\(location): \(error.localizedDescription)") }
        guard box.status == 200, let data = box.data else {
            throw LatentError(.data, "\(location): HTTP status \(box.status)")
        }
        return data
    }

    /// Lower-case hex MD5 (OpenSSL's EVP interface).
    public static func md5Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_md5(), nil) }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
