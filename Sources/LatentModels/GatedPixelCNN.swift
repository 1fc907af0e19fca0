import Foundation
import LatentAutodiff
import LatentNN
import LatentTensor

/// An autoregressive prior over rows of categorical values (a VQ-VAE's code indices): the gated PixelCNN of van den
/// Oord et al. 2016 ("Conditional image generation with PixelCNN decoders") on a grid of one row, where its
/// vertical stack sees nothing and its horizontal stack is the network: the indices embedded; a first masked
/// ("A") convolution of `taps` positions before each one, then `layers` − 1 residual layers of masked ("B")
/// convolutions of the positions up to each one, every layer gated, tanh(W_f ∗ h) ⊙ σ(W_g ∗ h), and a 1 × 1
/// convolution; then ReLU, 1 × 1, ReLU, 1 × 1 to each position's class logits. The convolutions are linear layers
/// on causal windows (`Variable.causalWindows`). Pythae's `PixelCNNSampler` plays this part for its VQ-VAE with an
/// ungated PixelCNN (ten masked convolutions of 64 channels, kernel 5), whose sizes are the defaults here.
public final class GatedPixelCNN: Module {
    /// Positions per row and classes per position.
    public let positions: Int, classes: Int
    /// Channels of every layer and positions each convolution sees.
    public let channels: Int, taps: Int
    /// Index → channels: a linear layer of one-hot indices, computed as a lookup (`Variable.embedding`).
    public let embedding: Linear
    /// Each layer's filter and gate convolutions (on `taps` · `channels` window values) and, but for the first,
    /// its 1 × 1 output convolution.
    public let filters: [Linear], gates: [Linear], outputs: [Linear]
    /// The head's two 1 × 1 convolutions.
    public let hidden: Linear, logits: Linear

    /// A new network of `layers` gated layers, weights drawn as PyTorch initialises linear layers.
    public init(
        positions: Int, classes: Int, channels: Int = 64, layers: Int = 10, taps: Int = 5, rng: inout RandomGenerator
    ) {
        (self.positions, self.classes, self.channels, self.taps) = (positions, classes, channels, taps)
        embedding = Linear(classes, channels, rng: &rng)
        var (f, g, o) = ([Linear](), [Linear](), [Linear]())
        for layer in 0..<layers {
            f.append(Linear(taps * channels, channels, rng: &rng))
            g.append(Linear(taps * channels, channels, rng: &rng))
            if layer > 0 { o.append(Linear(channels, channels, rng: &rng)) }
        }
        (filters, gates, outputs) = (f, g, o)
        hidden = Linear(channels, channels, rng: &rng)
        logits = Linear(channels, classes, rng: &rng)
    }

    /// The layers, named by role and position.
    public var namedChildren: [(name: String, module: any Module)] {
        var children: [(name: String, module: any Module)] = [("embedding", embedding)]
        for (i, (f, g)) in zip(filters, gates).enumerated() {
            children += [("layers.\(i).filter", f), ("layers.\(i).gate", g)]
            if i > 0 { children.append(("layers.\(i).output", outputs[i - 1])) }
        }
        return children + [("head.0", hidden), ("head.1", logits)]
    }

    /// Class logits [n · positions, classes] for rows of indices (n · positions, row-major): position t's from the
    /// indices before t alone.
    public func callAsFunction(_ indices: [Int]) -> Variable {
        var h = Variable.embedding(indices, weight: embedding.weight.variable, bias: embedding.bias?.variable)
        for i in filters.indices {
            let w = h.causalWindows(positions: positions, taps: taps, includeCurrent: i > 0)
            let gated = filters[i](w).tanh() * gates[i](w).sigmoid()
            h = i == 0 ? gated : h + outputs[i - 1](gated)
        }
        return logits(hidden(h.relu()).relu())
    }

    /// The negative log-likelihood of rows of indices, summed (nats).
    public func loss(_ indices: [Int]) -> Variable {
        Variable.softmaxCrossEntropy(self(indices), labels: indices, reduction: .sum)
    }

    /// `count` rows drawn position by position from the model's conditionals (one pass per position).
    public func sample(count: Int, rng: inout RandomGenerator) -> [Int] {
        var rows = [Int](repeating: 0, count: count * positions)
        for t in 0..<positions {
            let p = self(rows).value
            for s in 0..<count {
                let row = p.data + (s * positions + t) * classes
                var top = -Float.infinity
                for j in 0..<classes { top = max(top, row[j]) }
                var total: Float = 0
                for j in 0..<classes { total += exp(row[j] - top) }
                var u = rng.uniform() * total, pick = classes - 1
                for j in 0..<classes {
                    u -= exp(row[j] - top)
                    if u <= 0 {
                        pick = j
                        break
                    }
                }
                rows[s * positions + t] = pick
            }
        }
        return rows
    }
}
