import Foundation
import LatentCheckpoint
import LatentData
import LatentEval
import LatentModels
import LatentRender
import LatentTensor

extension Trainer {
    /// The pictures of a finished run; returns their file names. Every run: curves.png. Images: samples.png
    /// (VAEs), reconstructions.png, denoising.png (DAEs). A 2-d latent space: latent.png and manifold.png
    /// (a CVAE: manifold-K.png per label).
    public func writePictures(_ model: any TrainableModel, metrics: [EpochMetrics], test: Dataset) throws -> [String] {
        var written: [String] = []
        func write(_ data: Data, _ name: String) throws {
            try AtomicFile.write(data, to: options.outputDirectory.appendingPathComponent(name))
            written.append(name)
        }
        if test.isImage, let model = model as? any ReconstructingModel {  // a table's rows are not images
            for (name, images, columns) in imageGrids(model, test: test) {
                let c = model.config
                try write(
                    try ImageGrid.png(
                        images, height: c.imageHeight, width: c.imageWidth, channels: c.channels,
                        columns: columns,
                        scale: 3), name)
            }
        }
        try write(try EpochMetrics.curves(metrics, format: .png), "curves.png")
        guard model.config.latent == 2, let rec = model as? any ReconstructingModel else { return written }
        try write(try Figures.latentScatter(rec, on: test, format: .png), "latent.png")
        guard let vae = model as? VariationalAutoencoder, test.isImage else { return written }
        if vae.config.isConditional {
            for k in 0..<vae.config.classes {
                try write(try Figures.manifold(vae, label: k, format: .png), "manifold-\(k).png")
            }
        } else {
            try write(try Figures.manifold(vae, format: .png), "manifold.png")
        }
        return written
    }

    /// The image grids of the model's kind: (file name, images, columns).
    func imageGrids(_ model: any ReconstructingModel, test: Dataset) -> [(String, Tensor, Int)] {
        var rng = RandomGenerator(seed: options.seed, stream: .pictures)
        var grids: [(String, Tensor, Int)] = []
        if let generative = model as? any GenerativeModel {
            let (images, columns) = Pictures.samples(generative, rng: &rng)
            grids.append(("samples.png", images, columns))
        }
        grids.append(("reconstructions.png", Pictures.reconstructionRows(model, test: test, columns: 16, pairs: 2), 16))
        if let corrupting = model as? any CorruptingModel {
            let rows = Pictures.denoisingRows(
                model, corrupt: { corrupting.corrupt($0, rng: &$1) }, test: test, columns: 16, rng: &rng)
            grids.append(("denoising.png", rows, 16))
        }
        return grids
    }
}
