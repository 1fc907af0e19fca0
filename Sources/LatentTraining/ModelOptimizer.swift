import LatentModels
import LatentNN
import LatentOptim

extension Adam {
    /// Adam over `model`'s parameters at `learningRate` (PyTorch's defaults otherwise), with the parameter groups
    /// the model trains at rates of its own (`GroupOptimizedModel`: a discriminator).
    public static func training(_ model: any TrainableModel, learningRate: Float = 1e-3) throws -> Adam {
        let adam = try Adam(model, learningRate: learningRate)
        for group in (model as? any GroupOptimizedModel)?.optimizerGroups ?? [] {
            guard let range = adam.parameters.range(ofPrefix: group.module) else { continue }
            try adam.addGroup(
                range, learningRate: group.learningRate ?? learningRate, beta1: group.beta1, beta2: group.beta2)
        }
        return adam
    }
}
