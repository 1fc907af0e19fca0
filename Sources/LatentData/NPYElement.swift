/// One NPY element type — kind, size and byte order, as numpy's `descr` spells them ('<f4', '|b1', '>i8') — and
/// the loop that reads a whole array of them as floats. Tables come from numpy and PyTorch in every dtype
/// (bool masks, float16 tensors, int16 sensors, big-endian files), so every plain numeric one is read.
struct NPYElement {
    /// 'f' float, 'i' signed integer, 'u' unsigned integer, 'b' bool.
    let kind: Character
    /// Bytes per element.
    let size: Int
    /// Byte order '>' (numpy writes '<', '=' or '|' for the machine's little-endian order).
    let bigEndian: Bool

    /// The element type `descr` names, or nil if it is not a plain number (objects, strings, complex, dates).
    init?(_ descr: String) {
        let chars = Array(descr)
        guard chars.count >= 3, "<>|=".contains(chars[0]), let size = Int(String(chars[2...])) else { return nil }
        let sizes: [Character: [Int]] = ["f": [2, 4, 8], "i": [1, 2, 4, 8], "u": [1, 2, 4, 8], "b": [1]]
        guard sizes[chars[1]]?.contains(size) == true else { return nil }
        (kind, self.size, bigEndian) = (chars[1], size, chars[0] == ">")
    }

    /// Characters per string of a text dtype ('<U12': 12 UTF-32 characters, '|S8': 8 bytes), or nil.
    static func textWidth(_ descr: String) -> Int? {
        let chars = Array(descr)
        guard chars.count >= 3, "<|=".contains(chars[0]), chars[1] == "U" || chars[1] == "S",
            let width = Int(String(chars[2...])), width > 0, width <= 1 << 16
        else { return nil }
        return width
    }

    /// What the reader accepts, for error messages.
    static let supported = "float16/32/64, (u)int8/16/32/64 or bool, either byte order; 1-D strings for labels"

    /// `count` elements from `p` as floats: one loop per element type, so the type is decided once.
    func values(_ p: UnsafeRawPointer, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { out in
            func read<T: FixedWidthInteger>(_: T.Type, _ convert: (T) -> Float) {
                for i in 0..<count {
                    let raw = p.loadUnaligned(fromByteOffset: size * i, as: T.self)
                    out[i] = convert(bigEndian ? T(bigEndian: raw) : T(littleEndian: raw))
                }
            }
            switch (kind, size) {
            case ("f", 2): read(UInt16.self) { Float(Float16(bitPattern: $0)) }
            case ("f", 4): read(UInt32.self) { Float(bitPattern: $0) }
            case ("f", 8): read(UInt64.self) { Float(Double(bitPattern: $0)) }
            case ("i", 1): read(Int8.self) { Float($0) }
            case ("i", 2): read(Int16.self) { Float($0) }
            case ("i", 4): read(Int32.self) { Float($0) }
            case ("i", 8): read(Int64.self) { Float($0) }
            case ("u", 2): read(UInt16.self) { Float($0) }
            case ("u", 4): read(UInt32.self) { Float($0) }
            case ("u", 8): read(UInt64.self) { Float($0) }
            default: read(UInt8.self) { Float($0) }  // u1 and b1 (numpy writes bools as 0 or 1)
            }
        }
        return out
    }
}
