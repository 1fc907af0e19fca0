import Foundation

extension URL {
    /// The path with `.`/`..` removed and symbolic links resolved: two spellings of one file or folder compare
    /// equal (a folder given again to a saved model, an output that is also an input).
    public var canonicalPath: String { standardizedFileURL.resolvingSymlinksInPath().path }
}
