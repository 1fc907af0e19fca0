import LatentModels
import LatentNN
import LatentTensor

extension ONNXExport {
    /// Appends the nodes of `layers` to `g`, reading value `x`; returns the last value's name. Weights are named
    /// as in the checkpoint (`prefix.index.weight`). Rows are [N, features] between layers; a `Reshape` to
    /// [H, W, C] starts a convolutional stretch (to NCHW), a `Reshape` back to one dimension ends it.
    static func lower(_ layers: Sequential, from x: String, into g: inout ONNXGraph, prefix: String) throws -> String {
        var h = x
        for (i, layer) in layers.layers.enumerated() {
            let name = "\(prefix).\(i)"
            switch layer {
            case let l as Linear:
                h = linear(l, from: h, into: &g, name: name)
            case let a as ActivationLayer:
                h = activation(a.activation, h, into: &g)
            case let r as Reshape where r.shape.count == 3:
                let nhwc = g.node("Reshape", [h, g.int64s("shape", [-1] + r.shape)])
                h = g.node("Transpose", [nhwc], [("perm", .ints([0, 3, 1, 2]))])
            case let r as Reshape where r.shape.count == 1:
                let nhwc = g.node("Transpose", [h], [("perm", .ints([0, 2, 3, 1]))])
                h = g.node("Reshape", [nhwc, g.int64s("shape", [-1] + r.shape)])
            case let conv as Conv2D:
                h = convolution(
                    "Conv", h, into: &g, name: name, (conv.weight, conv.bias), stride: conv.stride,
                    padding: conv.padding)
            case let conv as ConvTranspose2D:
                h = convolution(
                    "ConvTranspose", h, into: &g, name: name, (conv.weight, conv.bias), stride: conv.stride,
                    padding: conv.padding, outputPadding: conv.outputPadding)
            case let bn as BatchNorm:
                let inputs = [
                    h, g.weight(name + ".weight", bn.weight.value), g.weight(name + ".bias", bn.bias.value),
                    g.weight(name + ".running_mean", bn.runningMean.value),
                    g.weight(name + ".running_var", bn.runningVariance.value),
                ]
                h = g.node("BatchNormalization", inputs, [("epsilon", .float(bn.epsilon))])
            default:
                throw LatentError(.model, "ONNX export: no ONNX operator for the layer \(type(of: layer)) in \(prefix)")
            }
        }
        return h
    }

    /// A square-kernel convolution `op` (Conv or ConvTranspose) with PyTorch's weight layout, which is ONNX's.
    static func convolution(
        _ op: String, _ x: String, into g: inout ONNXGraph, name: String, _ parameters: (Parameter, Parameter),
        stride: Int, padding: Int, outputPadding: Int? = nil
    ) -> String {
        let (weight, bias) = parameters, k = weight.shape[2]
        var attributes: [(String, ONNXGraph.Attribute)] = [
            ("kernel_shape", .ints([k, k])), ("strides", .ints([stride, stride])),
            ("pads", .ints(Array(repeating: padding, count: 4))),
        ]
        if let outputPadding { attributes.append(("output_padding", .ints([outputPadding, outputPadding]))) }
        return g.node(
            op, [x, g.weight(name + ".weight", weight.value), g.weight(name + ".bias", bias.value)], attributes)
    }

    /// The activation's ONNX operator.
    static func activation(_ a: Activation, _ x: String, into g: inout ONNXGraph) -> String {
        switch a {
        case .relu: g.node("Relu", [x])
        case .tanh: g.node("Tanh", [x])
        case .sigmoid: g.node("Sigmoid", [x])
        case .softplus: g.node("Softplus", [x])
        case .leakyRelu: g.node("LeakyRelu", [x], [("alpha", .float(0.01))])
        }
    }
}
