import Latent

let train = try MNIST.load(.train), test = try MNIST.load(.test)  // the bundled MNIST, pixels in [0, 1]
var rng = RandomGenerator(seed: 1)
let vae = VariationalAutoencoder(inputSize: 784, hidden: [400], latent: 20, rng: &rng)
let adam = try Adam(vae, learningRate: 1e-3)
for batch in train.batches(size: 128, shuffle: true, rng: &rng) {
    adam.zeroGrad()
    let loss = vae.loss(batch, rng: &rng)  // −ELBO summed over the batch
    loss.total.backward()
    adam.step()
}
print("test loss:", Evaluation.evaluate(vae, on: test, seed: 1).loss)
