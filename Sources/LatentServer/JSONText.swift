import Latent

/// JSON written straight into a string for the hot answers (a decoded image is 784 to 12,288 numbers): each
/// Float in its shortest form that reads back to the same Float.
enum JSONText {
    /// A tensor [n, m] as [[…], …].
    static func matrix(_ t: Tensor) -> String {
        let n = t.shape[0], m = t.count / max(n, 1)
        var out = "["
        out.reserveCapacity(t.count * 12 + 2 * n + 2)
        for i in 0..<n {
            out += i == 0 ? "[" : ",["
            for j in 0..<m {
                if j > 0 { out += "," }
                let v = t.data[i * m + j]
                out += v.isFinite ? v.description : "null"
            }
            out += "]"
        }
        return out + "]"
    }

    /// A JSON string literal.
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += "\\u" + hex4(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Four hex digits.
    static func hex4(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }
}
