// Present so SwiftPM builds the interposer library this package exists for.
@_exported import MallocInterposerSwift
