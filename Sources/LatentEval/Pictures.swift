import LatentData
import LatentModels
import LatentTensor

/// Image layouts of a model's outputs, shared by training and the CLI: rows of samples, reconstructions,
/// denoisings and latent paths, ready for `ImageGrid`.
public enum Pictures {
    /// Labels 0, 0, …, 1, 1, …: `perClass` of each class in turn (one row per class).
    public static func labelRows(classes: Int, perClass: Int) -> [Int] {
        (0..<classes).flatMap { Array(repeating: $0, count: perClass) }
    }

    /// Interleaves rows: for each block of `columns` images, the row from each tensor in turn.
    public static func interleaveRows(_ tensors: [Tensor], columns: Int) -> Tensor {
        let n = tensors[0].shape[0], f = tensors[0].count / max(n, 1)
        let blocks = (n + columns - 1) / columns
        let out = Tensor(zeros: [blocks * columns * tensors.count, f])
        for k in 0..<n {
            let block = k / columns, col = k % columns
            for (t, tensor) in tensors.enumerated() {
                (out.data + ((block * tensors.count + t) * columns + col) * f).update(
                    from: tensor.data + k * f, count: f)
            }
        }
        return out
    }

    /// `pairs` × (a row of `columns` test images, then the row of their reconstructions).
    /// At most `limit` images.
    public static func reconstructionRows(
        _ model: any ReconstructingModel, test: Dataset, columns: Int, pairs: Int,
        start: Int = 0, limit: Int? = nil
    ) -> Tensor {
        let n = min(columns * pairs, test.count - start, limit ?? Int.max)
        let x = test.batch(start..<(start + n))
        let labels = test.labels[start..<(start + n)].map(Int.init)
        return interleaveRows([x, model.reconstruct(x, labels: labels)], columns: columns)
    }

    /// Rows noisy / denoised / clean for `columns` test images, corrupted by `corrupt`.
    public static func denoisingRows(
        _ model: any ReconstructingModel, corrupt: (Tensor, inout RandomGenerator) -> Tensor, test: Dataset,
        columns: Int, rng: inout RandomGenerator
    ) -> Tensor {
        let n = min(columns, test.count)
        let x = test.batch(0..<n)
        let noisy = corrupt(x, &rng)
        let denoised = model.reconstruct(noisy, labels: test.labels[0..<n].map(Int.init))
        return interleaveRows([noisy, denoised, x], columns: columns)
    }

    /// The samples of a generative model's `samples.png`: a CVAE's row per class (`perClass` each), or `count`
    /// samples.
    public static func samples(
        _ vae: any GenerativeModel, count: Int = 64, perClass: Int = 10,
        rng: inout RandomGenerator
    ) -> (images: Tensor, columns: Int) {
        let c = vae.config
        if c.isConditional {
            return (vae.sample(labels: labelRows(classes: c.classes, perClass: perClass), rng: &rng), perClass)
        }
        return (vae.sample(count: count, rng: &rng), Int(Double(count).squareRoot().rounded(.up)))
    }
}
