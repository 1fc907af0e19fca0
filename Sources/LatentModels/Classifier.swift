import LatentAutodiff
import LatentNN
import LatentTensor

/// A small MLP classifier (softmax cross-entropy), used to judge generated digits.
public final class Classifier: TrainableModel {
    public let config: ModelConfig
    public let body: EncoderBody
    public let output: Linear

    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        body = EncoderBody(c, rng: &rng)
        output = Linear(body.outputSize, c.classes, rng: &rng)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        prefixed("encoder", body.namedParameters) + prefixed("output", output.namedParameters)
    }

    public func logits(_ x: Tensor) -> Tensor { output(body(Variable(x))).value }

    public func loss(_ batch: Batch, rng: inout RandomGenerator) -> LossTerms {
        let ce = softmaxCrossEntropy(logits: output(body(Variable(batch.x))), labels: batch.labels, reduction: .sum)
        return LossTerms(total: ce, parts: [("cross_entropy", ce.value.scalar)])
    }

    /// Predicted classes.
    public func predict(_ x: Tensor) -> [Int] { logits(x).argmaxRows() }
}
