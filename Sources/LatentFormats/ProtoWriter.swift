import Foundation

/// Protocol-buffer encoding of the messages Latent writes (TensorBoard's `Event`, ONNX's `ModelProto`): wire
/// types 0 (varint), 1 (64-bit), 2 (length-delimited) and 5 (32-bit). Hand-written: the few fields need no
/// code generator, and the readers (tensorboard, onnx, onnxruntime) check the result in the tests.
public struct ProtoWriter: Sendable {
    /// The message encoded so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    private mutating func key(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

    private mutating func raw(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// An unsigned varint field (int32/int64/uint64/enum/bool; a negative int64 as its bit pattern).
    public mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        raw(value)
    }

    /// A `double` field.
    public mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    /// A `float` field.
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    /// A `bytes` field.
    public mutating func lengthDelimited(_ field: Int, _ value: some Collection<UInt8>) {
        key(field, 2)
        raw(UInt64(value.count))
        bytes += value
    }

    /// A `string` field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, Array(value.utf8)) }

    /// An embedded message field.
    public mutating func message(_ field: Int, _ value: ProtoWriter) { lengthDelimited(field, value.bytes) }

    /// A signed `int64` field (two's complement, as protobuf encodes it: ten bytes when negative).
    public mutating func int64(_ field: Int, _ value: Int) { varint(field, UInt64(bitPattern: Int64(value))) }
}
