import Foundation
import LatentTensor

/// Which half of a dataset.
public enum Split: String, CaseIterable, Sendable {
    case train, test
}

/// MNIST and datasets in its format (Fashion-MNIST): four IDX files per directory. MNIST itself ships
/// inside the package, so the default run needs no network and no files.
public enum MNIST {
    /// The IDX file names for a split.
    public static func fileNames(_ split: Split) -> (images: String, labels: String) {
        let prefix = split == .train ? "train" : "t10k"
        return ("\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte")
    }

    /// The directory of the MNIST copy bundled with Latent.
    public static var bundledDirectory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("mnist")
    }

    /// Loads a split from `directory` (bundled MNIST when nil); each file may be gzipped (`.gz`) or raw.
    public static func load(_ split: Split, directory: URL? = nil, name: String = "mnist") throws -> Dataset {
        let dir = directory ?? bundledDirectory
        let names = fileNames(split)
        let imagesURL = try locate(names.images, in: dir)
        let labelsURL = try locate(names.labels, in: dir)
        let images = try IDXArray(contentsOf: imagesURL, expectedRank: 3)
        let labels = try IDXArray(contentsOf: labelsURL, expectedRank: 1)
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw LatentError(
                .data,
                """
                \(imagesURL.path) holds \(images.dimensions[0]) images but \(labelsURL.path) holds \
                \(labels.dimensions[0]) labels
                """
            )
        }
        if let bad = labels.bytes.first(where: { $0 > 9 }) {
            throw LatentError(.data, "\(labelsURL.path): label \(bad) out of range, expected 0…9")
        }
        return try Dataset(
            name: "\(name)-\(split.rawValue)", pixels: images.bytes, labels: labels.bytes,
            height: images.dimensions[1], width: images.dimensions[2])
    }

    private static func locate(_ base: String, in dir: URL) throws -> URL {
        for candidate in [base + ".gz", base] {
            let url = dir.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw LatentError(.data, "\(dir.path): no \(base).gz or \(base) (expected the four MNIST-format IDX files)")
    }
}
