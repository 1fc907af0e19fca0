import Foundation

/// A folder of pictures that comes split, as downloaded datasets do: `train/` beside `test/` (or `val/`,
/// `valid/`, `validation/`), each holding class folders or pictures. The split is kept (the test folder's pictures
/// are the test split) and the classes are the folders one level down, not `train` and `test`.
struct SplitFolders: Equatable, Sendable {
    /// The folder names that mark a split, lower-cased.
    static let names: Set<String> = ["train", "test", "val", "valid", "validation"]

    /// The training folder's name as spelled on disk.
    let train: String
    /// The test folder's name as spelled on disk: `test` if there is one, else the validation folder; nil when
    /// only `train/` is there (its every tenth picture is then the test split).
    let test: String?
    /// Split folders beside those two (a `val/` next to `test/`), left out.
    let leftOut: [String]

    /// The layout of `paths` (relative, sorted): nil unless every first-level folder holding pictures is a
    /// split folder, one of them `train`, and no picture lies directly in the root.
    init?(_ paths: [String]) {
        guard paths.allSatisfy({ $0.contains("/") }) else { return nil }
        let tops = Array(Set(paths.map { String($0.prefix(while: { $0 != "/" })) })).sorted()
        guard tops.allSatisfy({ Self.names.contains($0.lowercased()) }),
            let train = tops.first(where: { $0.lowercased() == "train" })
        else { return nil }
        let order = ["test", "val", "valid", "validation"]
        let test = order.lazy.compactMap { name in tops.first { $0.lowercased() == name } }.first
        self.train = train
        self.test = test
        leftOut = tops.filter { $0 != train && $0 != test }
    }

    /// Whether `path` lies in the training or test folder.
    func holds(_ path: String) -> Bool {
        let top = String(path.prefix(while: { $0 != "/" }))
        return top == train || top == test
    }

    /// A note for the user: which folders are the splits, with their sizes, and what is left out.
    func note(for folder: URL, files: [(path: String, label: Int)], classes: [String]) -> String {
        let count = { (top: String) in files.filter { $0.path.hasPrefix(top + "/") }.count }
        var line = "\(folder.lastPathComponent): \(train)/ (\(count(train)) pictures) is the training split, "
        line +=
            test.map { "\($0)/ (\(count($0)) pictures) the test split" }
            ?? "every tenth of its pictures the test split"
        line += classes.isEmpty ? ", no classes" : ", classes from their folders: \(classes.joined(separator: ", "))"
        if !leftOut.isEmpty { line += "; left out: \(leftOut.map { $0 + "/" }.joined(separator: ", "))" }
        return line
    }
}
