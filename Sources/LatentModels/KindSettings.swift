import Foundation
import LatentTensor

/// A JSON value: how `ModelConfig` keeps a kind's own hyperparameters without a field for each of them.
public enum SettingValue: Codable, Equatable, Sendable {
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// true or false.
    case bool(Bool)
    /// An object.
    case object([String: SettingValue])
    /// An array.
    case array([SettingValue])

    /// The value from a decoder holding any JSON value but null.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([SettingValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: SettingValue].self))
        }
    }

    /// Writes the value.
    public func encode(to encoder: any Swift.Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .object(let o): try c.encode(o)
        case .array(let a): try c.encode(a)
        }
    }
}

extension ModelConfig {
    /// The kind's own hyperparameter under `key`, decoded as `T` (nil if absent or of another form). Kinds read
    /// theirs once, when a model is built: this decodes JSON.
    public func setting<T: Codable>(_ key: String, as type: T.Type = T.self) -> T? {
        guard let value = settings[key], let data = try? JSONEncoder().encode(value) else { return nil }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = Self.nonFinite.decoding
        return try? decoder.decode(T.self, from: data)
    }

    /// Sets (or with nil removes) the kind's own hyperparameter under `key`. A value that is not a finite number
    /// is kept (as "inf", "-inf" or "nan"), so that the kind's rules refuse it rather than it being dropped.
    public mutating func setSetting<T: Codable>(_ key: String, _ value: T?) {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = Self.nonFinite.encoding
        guard let value, let data = try? encoder.encode(value),
            let json = try? JSONDecoder().decode(SettingValue.self, from: data)
        else { return settings[key] = nil }
        settings[key] = json
    }

    /// How settings spell numbers JSON has no numbers for.
    static let nonFinite = (
        encoding: JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan"),
        decoding: JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    )
}

/// The JSON keys of `ModelConfig`: its stored properties; any other key is a kind's own setting.
struct ConfigKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    init(_ name: String) { stringValue = name }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension ModelConfig {
    static let storedKeys: Set<String> = [
        "kind", "arch", "inputSize", "imageHeight", "imageWidth", "imageChannels", "hidden", "latent", "activation",
        "classes", "likelihood", "outputVariance", "outputMean", "beta", "convChannels", "binarize", "freeBits",
    ]

    /// A configuration from JSON: the shared properties by name (absent ones keep their defaults), every other
    /// key as a kind's setting — the same JSON checkpoints have always held.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        self.init(kind: try c.decode(ModelKind.self, forKey: ConfigKey("kind")))
        func read<T: Decodable>(_ name: String, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: ConfigKey(name)) { value = v }
        }
        try read("arch", &arch)
        try read("inputSize", &inputSize)
        try read("imageHeight", &imageHeight)
        try read("imageWidth", &imageWidth)
        imageChannels = try c.decodeIfPresent(Int.self, forKey: ConfigKey("imageChannels"))
        try read("hidden", &hidden)
        try read("latent", &latent)
        try read("activation", &activation)
        try read("classes", &classes)
        try read("likelihood", &likelihood)
        outputVariance = try c.decodeIfPresent(Float.self, forKey: ConfigKey("outputVariance"))
        outputMean = try c.decodeIfPresent(OutputMean.self, forKey: ConfigKey("outputMean"))
        try read("beta", &beta)
        try read("convChannels", &convChannels)
        binarize = try c.decodeIfPresent(Binarization.self, forKey: ConfigKey("binarize"))
        freeBits = try c.decodeIfPresent(Float.self, forKey: ConfigKey("freeBits"))
        for key in c.allKeys where !Self.storedKeys.contains(key.stringValue) {
            if try c.decodeNil(forKey: key) { continue }
            settings[key.stringValue] = try c.decode(SettingValue.self, forKey: key)
        }
    }

    /// The configuration as JSON: the shared properties, then each setting under its own key.
    public func encode(to encoder: any Swift.Encoder) throws {
        var c = encoder.container(keyedBy: ConfigKey.self)
        try c.encode(kind, forKey: ConfigKey("kind"))
        try c.encode(arch, forKey: ConfigKey("arch"))
        try c.encode(inputSize, forKey: ConfigKey("inputSize"))
        try c.encode(imageHeight, forKey: ConfigKey("imageHeight"))
        try c.encode(imageWidth, forKey: ConfigKey("imageWidth"))
        try c.encodeIfPresent(imageChannels, forKey: ConfigKey("imageChannels"))
        try c.encode(hidden, forKey: ConfigKey("hidden"))
        try c.encode(latent, forKey: ConfigKey("latent"))
        try c.encode(activation, forKey: ConfigKey("activation"))
        try c.encode(classes, forKey: ConfigKey("classes"))
        try c.encode(likelihood, forKey: ConfigKey("likelihood"))
        try c.encodeIfPresent(outputVariance, forKey: ConfigKey("outputVariance"))
        try c.encodeIfPresent(outputMean, forKey: ConfigKey("outputMean"))
        try c.encode(beta, forKey: ConfigKey("beta"))
        try c.encode(convChannels, forKey: ConfigKey("convChannels"))
        try c.encodeIfPresent(binarize, forKey: ConfigKey("binarize"))
        try c.encodeIfPresent(freeBits, forKey: ConfigKey("freeBits"))
        for (key, value) in settings where !Self.storedKeys.contains(key) {
            try c.encode(value, forKey: ConfigKey(key))
        }
    }
}
