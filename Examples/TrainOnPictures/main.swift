import Foundation
import Latent

// A deep conv VAE (PyTorch-VAE's VanillaVAE layout) trained for one epoch on a folder of pictures:
//   swift run -c release TrainOnPictures ~/emoji      (the folder Scripts/emoji/make_emoji.py writes)
let folder = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "emoji")
let source = DataSource.images(folder, ImageOptions(width: 64, height: 64))
let pictures = try source.loadSplits()  // the folder read once; every 10th picture is the test split
var config = ModelConfig(kind: .vae)
let defaults = ModelConfig.defaults(for: .deepconv, height: 64, width: 64)
(config.arch, config.latent, config.hidden) = (.deepconv, 128, defaults.hidden)
(config.activation, config.convChannels) = (defaults.activation, defaults.convChannels)
// Sizes, channels, checks:
let data = try TrainingData.prepare(train: pictures.train, test: pictures.test, config: &config)
var rng = RandomGenerator(seed: 1)
let vae = VariationalAutoencoder(config, rng: &rng)
let adam = try Adam(vae, learningRate: 1e-3)
vae.setTraining(true)  // BatchNorm normalises by batch statistics
for batch in data.train.batches(size: 64, shuffle: true, rng: &rng) {
    adam.zeroGrad()
    vae.loss(batch, rng: &rng).total.backward()
    adam.step()
}
vae.setTraining(false)  // and by its running statistics when evaluating
print("test loss:", Evaluation.evaluate(vae, on: data.test, seed: 1).loss)
