import LatentAutodiff
import LatentNN
import LatentTensor

/// The classifier kind: an MLP with softmax cross-entropy, to judge generated digits and for semi-supervised work.
public enum ClassifierKind: ModelFamilyMember {
    /// Predicts classes.
    public static let capabilities: ModelCapabilities = [.classify]

    /// A `Classifier` of `config`.
    public static func make(_ config: ModelConfig, rng: inout RandomGenerator) -> any TrainableModel {
        Classifier(config, rng: &rng)
    }
}

/// A small MLP classifier (softmax cross-entropy), used to judge generated digits.
public final class Classifier: ClassifyingModel, MeasuredModel {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// The hidden layers.
    public let body: EncoderBody
    /// Hidden → class logits.
    public let output: Linear

    /// A new model of configuration `c`, initialised from `rng` as PyTorch initialises it.
    public init(_ c: ModelConfig, rng: inout RandomGenerator) {
        config = c
        body = EncoderBody(c, rng: &rng)
        output = Linear(body.outputSize, c.classes, rng: &rng)
    }

    /// An MLP classifier `inputSize`-`hidden`-`classes`, initialised from `rng`.
    public convenience init(
        inputSize: Int, hidden: [Int], classes: Int, activation: Activation = .relu,
        rng: inout RandomGenerator
    ) {
        var c = ModelConfig(kind: .classifier)
        (c.inputSize, c.imageHeight, c.imageWidth) = (inputSize, 1, inputSize)
        if inputSize == 784 { (c.imageHeight, c.imageWidth) = (28, 28) }
        (c.hidden, c.classes, c.activation) = (hidden, classes, activation)
        self.init(c, rng: &rng)
    }

    /// The networks the model is made of, named as in PyTorch's `state_dict`.
    public var namedChildren: [(name: String, module: any Module)] { [("encoder", body), ("output", output)] }

    /// Class logits [n, classes].
    public func logits(_ x: Tensor) -> Tensor { output(body(Variable(x))).value }

    /// The training objective on `batch`, summed over its examples.
    public func loss(_ batch: Batch, klWeight: Float?, rng: inout RandomGenerator) -> LossTerms {
        let ce = softmaxCrossEntropy(logits: output(body(Variable(batch.x))), labels: batch.labels, reduction: .sum)
        return LossTerms(total: ce, parts: [("cross_entropy", ce.value.scalar)])
    }

    /// The last hidden layer's activations [n, width] (the penultimate features, for Fréchet distances).
    public func features(_ x: Tensor) -> Tensor { body(Variable(x)).value }

    /// Class logits from penultimate `features`.
    public func logits(features: Tensor) -> Tensor { output(Variable(features)).value }

    /// Predicted classes.
    public func predict(_ x: Tensor) -> [Int] { logits(x).argmaxRows() }

    /// accuracy: the share of test examples classified as labelled.
    public func ownMetrics(
        forEachBatch: ((Batch) -> Void) -> Void, count: Int, features: Int, seed: UInt64
    ) -> [(key: String, value: Double)] {
        var correct = 0
        forEachBatch { batch in correct += zip(predict(batch.x), batch.labels).filter { $0 == $1 }.count }
        return [("accuracy", Double(correct) / Double(count))]
    }
}
