import LatentTensor

/// An ONNX graph being built: nodes in execution order, weights as initializers, typed inputs and outputs; then
/// encoded as a `ModelProto` (onnx.proto: ModelProto {ir_version 1, producer_name 2, producer_version 3,
/// graph 7, opset_import 8, metadata_props 14}, GraphProto {node 1, name 2, initializer 5, doc_string 10,
/// input 11, output 12}, NodeProto {input 1, output 2, name 3, op_type 4, attribute 5}, AttributeProto {name 1,
/// f 2, i 3, ints 8, type 20}, TensorProto {dims 1, data_type 2, name 8, raw_data 9}, ValueInfoProto {name 1,
/// type 2, doc_string 3}). Encoded by hand with `ProtoWriter`: `onnx.checker` and ONNX Runtime read the result
/// in the tests (`Scripts/interop/check_onnx.py`).
struct ONNXGraph {
    /// An attribute value: one integer, integers, or one float.
    enum Attribute {
        case int(Int)
        case ints([Int])
        case float(Float)
    }

    /// ONNX element types used here (TensorProto.DataType).
    enum ElementType: UInt64 {
        case float = 1
        case int64 = 7
    }

    /// The opset the graph is written for, and the IR version that goes with it.
    static let opset = 17, irVersion = 8

    private var nodes: [ProtoWriter] = []
    private var initializers: [ProtoWriter] = []
    private var inputs: [ProtoWriter] = []
    private var outputs: [ProtoWriter] = []
    private var counter = 0
    let name: String

    init(name: String) { self.name = name }

    /// A new unique value name starting with `stem`.
    mutating func fresh(_ stem: String) -> String {
        counter += 1
        return "\(stem)_\(counter)"
    }

    /// Adds a node `op` reading `inputs`, writing one new value (returned), or `output` if named.
    @discardableResult
    mutating func node(
        _ op: String, _ inputs: [String], output: String? = nil, _ attributes: [(String, Attribute)] = []
    ) -> String {
        let out = output ?? fresh(op)
        var n = ProtoWriter()
        for i in inputs { n.string(1, i) }
        n.string(2, out)
        n.string(3, fresh("node_" + op))
        n.string(4, op)
        for (key, value) in attributes { n.message(5, Self.attribute(key, value)) }
        nodes.append(n)
        return out
    }

    /// A float weight named `name` with PyTorch's shape and values.
    @discardableResult
    mutating func weight(_ name: String, _ tensor: Tensor) -> String {
        let raw = UnsafeRawBufferPointer(start: tensor.data, count: tensor.count * MemoryLayout<Float>.size)
        initializers.append(Self.tensor(name, dims: tensor.shape.dimensions, type: .float, raw: Array(raw)))
        return name
    }

    /// An int64 constant (shapes, the one-hot depth).
    mutating func int64s(_ stem: String, _ values: [Int]) -> String {
        let name = fresh(stem)
        var raw = [UInt8]()
        for v in values { raw += withUnsafeBytes(of: Int64(v).littleEndian, Array.init) }
        initializers.append(Self.tensor(name, dims: [values.count], type: .int64, raw: raw))
        return name
    }

    /// A float constant.
    mutating func floats(_ stem: String, _ values: [Float]) -> String {
        let name = fresh(stem)
        var raw = [UInt8]()
        for v in values { raw += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        initializers.append(Self.tensor(name, dims: [values.count], type: .float, raw: raw))
        return name
    }

    /// Declares a graph input: `type` values of shape [N, columns...] (N the batch, any size).
    mutating func input(_ name: String, _ type: ElementType, columns: [Int], doc: String) {
        inputs.append(Self.valueInfo(name, type, columns: columns, doc: doc))
    }

    /// Declares a graph output.
    mutating func output(_ name: String, columns: [Int], doc: String) {
        outputs.append(Self.valueInfo(name, .float, columns: columns, doc: doc))
    }

    /// The whole model file: the graph, its opset, the producer and `metadata` (key–value strings).
    func model(doc: String, metadata: [(String, String)], producerVersion: String) -> [UInt8] {
        var graph = ProtoWriter()
        for n in nodes { graph.message(1, n) }
        graph.string(2, name)
        for i in initializers { graph.message(5, i) }
        graph.string(10, doc)
        for i in inputs { graph.message(11, i) }
        for o in outputs { graph.message(12, o) }
        var opset = ProtoWriter()
        opset.string(1, "")
        opset.int64(2, Self.opset)
        var model = ProtoWriter()
        model.int64(1, Self.irVersion)
        model.string(2, "latent")
        model.string(3, producerVersion)
        model.message(7, graph)
        model.message(8, opset)
        for (key, value) in metadata {
            var entry = ProtoWriter()
            entry.string(1, key)
            entry.string(2, value)
            model.message(14, entry)
        }
        return model.bytes
    }

    private static func attribute(_ name: String, _ value: Attribute) -> ProtoWriter {
        var a = ProtoWriter()
        a.string(1, name)
        switch value {
        case .float(let f):
            a.float(2, f)
            a.varint(20, 1)  // FLOAT
        case .int(let i):
            a.int64(3, i)
            a.varint(20, 2)  // INT
        case .ints(let values):
            for v in values { a.int64(8, v) }
            a.varint(20, 7)  // INTS
        }
        return a
    }

    private static func tensor(_ name: String, dims: [Int], type: ElementType, raw: [UInt8]) -> ProtoWriter {
        var t = ProtoWriter()
        for d in dims { t.int64(1, d) }
        t.varint(2, type.rawValue)
        t.string(8, name)
        t.lengthDelimited(9, raw)
        return t
    }

    private static func valueInfo(_ name: String, _ type: ElementType, columns: [Int], doc: String) -> ProtoWriter {
        var shape = ProtoWriter()
        var batch = ProtoWriter()
        batch.string(2, "N")
        shape.message(1, batch)
        for c in columns {
            var dim = ProtoWriter()
            dim.int64(1, c)
            shape.message(1, dim)
        }
        var tensorType = ProtoWriter()
        tensorType.varint(1, type.rawValue)
        tensorType.message(2, shape)
        var typeProto = ProtoWriter()
        typeProto.message(1, tensorType)
        var info = ProtoWriter()
        info.string(1, name)
        info.message(2, typeProto)
        info.string(3, doc)
        return info
    }
}
