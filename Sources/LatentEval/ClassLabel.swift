import LatentData
import LatentModels
import LatentTensor

/// The class a user names for a conditional model — its number, or its name where the training data named its
/// classes (iris' `setosa`, a picture folder's `cats`) — checked against the model, so every command that takes
/// a class (`sample`, `plot manifold`, `decode`) reads it the same way.
public enum ClassLabel {
    /// The class number `given` names for `config` (a CVAE): a number 0…classes−1, or one of `names` (the
    /// training data's class names, `DataProvenance.classes`). Throws naming the choices otherwise.
    public static func number(_ given: String, for config: ModelConfig, names: [String]?) throws -> Int {
        guard config.isConditional else {
            throw LatentError(
                .model, field: "label", "the model is an unconditional \(config.kind.rawValue); a class needs a cvae")
        }
        // A name first: where the classes are numbers (labels −1 and 1), `1` is the class named 1.
        if let names, let n = names.firstIndex(of: given), n < config.classes { return n }
        if let n = Int(given), n >= 0, n < config.classes { return n }
        let named = names.map { ": " + $0.prefix(20).joined(separator: ", ") + ($0.count > 20 ? ", …" : "") } ?? ""
        throw LatentError(
            .model, field: "label",
            "expected a class 0…\(config.classes - 1)\(names == nil ? "" : " or its name")\(named); got '\(given)'")
    }

    /// The class number `given` names in data whose classes are `names` (nil: numbered only): a number 0…255, or
    /// one of the names. `field` is the property it sets, for the error.
    public static func number(_ given: String, names: [String]?, field: String) throws -> Int {
        if let n = names?.firstIndex(of: given) { return n }
        if let n = Int(given), (0...255).contains(n) { return n }
        let named = names.map { " or a class name: " + $0.prefix(20).joined(separator: ", ") } ?? ""
        throw LatentError(.data, field: field, "expected a class number 0…255\(named); got '\(given)'")
    }
}
