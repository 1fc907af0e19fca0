import Foundation
import LatentTensor

/// A folder of PNG and JPEG pictures decoded once into 8-bit pixels of one size, with the relative path of
/// every picture (sorted), its class and the files that could not be read.
public struct ImageSet: Sendable {
    /// Every readable picture, in sorted path order.
    public var dataset: Dataset
    /// The pictures' paths relative to the folder, in the dataset's order.
    public var files: [String]
    /// Class names (the first-level subfolders, sorted; label i is `classes[i]`); empty for a flat folder.
    public var classes: [String]
    /// "path: reason" for each file that could not be decoded.
    public var unreadable: [String]
    /// SHA-256 over the options and every file's path and content: the cache key and the data's fingerprint.
    public var sha256: String
    /// The folder holding the test pictures where the folder comes split (`train/` beside `test/` or `val/`).
    public var testFolder: String?

    /// The split: the test folder's pictures where the folder comes split (pictures added to it later are test
    /// pictures too), else the recorded test files if given, else every tenth picture in sorted order (as for
    /// tables).
    public func split(_ split: Split, testFiles: [String]?) -> Dataset {
        let test = (testFolder == nil ? testFiles : self.testFiles).map(Set.init)
        let rows = files.indices.filter { i in
            let isTest = test.map { $0.contains(files[i]) } ?? (i % 10 == 9)
            return isTest == (split == .test)
        }
        return dataset.subset(rows, name: "\(dataset.name)-\(split.rawValue)")
    }

    /// The test split's files (what a checkpoint records): the test folder's, or every tenth.
    public var testFiles: [String] {
        if let testFolder { return files.filter { $0.hasPrefix(testFolder + "/") } }
        return files.indices.filter { $0 % 10 == 9 }.map { files[$0] }
    }
}

/// Reads a folder of pictures as torchvision's ImageFolder does: first-level subfolders are classes (pictures
/// nested deeper count for their first-level folder); a folder of pictures alone is unlabelled. A folder that
/// comes split (`train/` beside `test/` or `val/`, each holding class folders or pictures) keeps its split, its
/// classes one level down. Pictures are
/// decoded in parallel with progress, resized (`ImageResize`) and kept as one uint8 store, cached on disk under
/// the content's SHA-256 so that the next run reads the store instead of decoding.
public enum ImageFolder {
    /// File name endings read as pictures (case-insensitive).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// What decoding a folder makes: how many pictures, their size and channels.
    public typealias Plan = (count: Int, width: Int, height: Int, channels: Int)

    /// Bytes of pictures kept in memory between hashing and decoding, so each file is read once; a larger folder
    /// is read a second time to decode it.
    public static let bytesKeptForDecoding = 1 << 30

    /// The folder's pictures, each file opened and read once (up to `bytesKeptForDecoding` of them). `cache`:
    /// the directory for decoded stores (nil: no cache), which keeps at most `cacheLimit` bytes of them (nil:
    /// `cacheLimitFromEnvironment()`); `progress(done, total)` is called on the calling thread while decoding;
    /// `beforeDecoding` hears the plan (from the headers) before anything is decoded, and may refuse it.
    public static func load(
        _ folder: URL, options: ImageOptions, cache: URL? = defaultCache, cacheLimit: Int? = nil,
        notes: (String) -> Void = { _ in }, progress: (Int, Int) -> Void = { _, _ in },
        beforeDecoding: (Plan) throws -> Void = { _ in }
    ) throws -> ImageSet {
        try options.validate()
        let (files, classes, loose, layout) = try scan(folder, notes: notes)
        if let layout { notes(layout.note(for: folder, files: files, classes: classes)) }
        if loose > 0 {
            notes("note: \(loose) picture(s) directly in \(folder.path) belong to no class folder and are left out")
        }
        if layout == nil, !classes.isEmpty, case let empty = emptyFolders(folder, classes: classes), !empty.isEmpty {
            let listed = empty.prefix(5).joined(separator: ", ") + (empty.count > 5 ? ", …" : "")
            notes("note: \(empty.count) folder(s) in \(folder.path) hold no pictures and are not classes: \(listed)")
        }
        let (key, headers, contents) = try contentKey(
            folder, files: files, options: options, keepingUpTo: bytesKeptForDecoding)
        let limit = try cacheLimit ?? Self.cacheLimitFromEnvironment()
        let store = cache?.appendingPathComponent(ImageStore.fileName(for: key))
        var set: ImageSet
        switch store.flatMap({ ImageStore.read($0, name: folder.lastPathComponent, key: key) }) {
        case .success(let cached)?
        where cached.classes == classes && cached.files.count + cached.unreadable.count == files.count
            && Set(cached.files).isSubset(of: files.map(\.path)):
            set = cached
            ImageStore.touch(store!)
            let d = cached.dataset
            try beforeDecoding((cached.files.count, d.width, d.height, d.channels))
        case let outcome:
            if case .failure(let problem)? = outcome {
                notes(
                    "note: the decoded-picture cache \(store!.path) was not used (\(problem.message)); decoding again")
            } else if case .success? = outcome {
                notes("note: the decoded-picture cache \(store!.path) lists other files; decoding again")
            }
            let plan = try plan(headers, options: options, folder: folder, notes: notes)
            let size = (width: plan.width, height: plan.height)
            try beforeDecoding(plan)
            set = try decode(
                folder, files: files, classes: classes, options: options, size: size, contents: contents,
                progress: progress)
            if set.sha256 != key {
                notes("note: files in \(folder.path) changed while they were read; the pictures as decoded are used")
            }
            if let cache {
                let written = cache.appendingPathComponent(ImageStore.fileName(for: set.sha256))
                do { try ImageStore.write(set, to: written) } catch {
                    notes("note: could not cache the decoded pictures in \(written.path): \(error)")
                }
                let removed = ImageStore.trim(cache, to: limit, keeping: written)
                if removed > 0 {
                    let shown = limit >= 1 << 20 ? "\(limit >> 20) MB" : "\(limit) bytes"
                    let what = "\(removed) least recently used decoded folder(s)"
                    notes("note: removed \(what) from \(cache.path) (over \(shown))")
                }
            }
        }
        set.dataset.classNames = set.classes.isEmpty ? nil : set.classes
        set.testFolder = layout?.test
        if let test = layout?.test, !set.classes.isEmpty {
            // As for tables: a class the model never trains on cannot be judged on.
            let trained = Set(set.split(.train, testFiles: nil).labels)
            let unseen = Set(set.split(.test, testFiles: nil).labels).subtracting(trained).map { set.classes[Int($0)] }
            guard unseen.isEmpty else {
                throw LatentError(
                    .data, field: "data",
                    "\(folder.path)/\(test) has classes with no training pictures: "
                        + unseen.sorted().joined(separator: ", ")
                        + "; add training pictures of them or take them out of the test folder")
            }
        }
        if !set.unreadable.isEmpty {
            let listed = set.unreadable.prefix(5).joined(separator: "; ")
            let more = set.unreadable.count > 5 ? "; … (\(set.unreadable.count - 5) more)" : ""
            guard !options.strict else {
                throw LatentError(
                    .data, field: "strict",
                    "\(set.unreadable.count) unreadable files in \(folder.path): \(listed)\(more)")
            }
            notes("skipped \(set.unreadable.count) unreadable files: \(listed)\(more)")
        }
        return set
    }

    /// The folder's fingerprint (`ImageSet.sha256`: the options and every picture's path, label and bytes),
    /// read without decoding anything or touching the cache.
    public static func fingerprint(_ folder: URL, options: ImageOptions) throws -> String {
        let (files, _, _, _) = try scan(folder)
        return try contentKey(folder, files: files, options: options).key
    }

    /// The largest cache size setting: 1 TiB (in MB), so no setting overflows when turned into bytes.
    public static let maxCacheMegabytes = 1 << 20

    /// The most the decoded stores in a cache directory may take together (bytes): $LATENT_IMAGE_CACHE_MB, else
    /// 4 GiB. Past it, the least recently used stores are removed after a new one is written. A setting that is
    /// not a whole number of megabytes in 0…1048576 is refused, naming the variable.
    public static func cacheLimitFromEnvironment() throws -> Int {
        let setting = ProcessInfo.processInfo.environment["LATENT_IMAGE_CACHE_MB"]
        guard let text = setting, !text.isEmpty else { return 4096 << 20 }  // unset or empty: the default
        let megabytes = Int(text.trimmingCharacters(in: .whitespaces))
        guard let megabytes, (0...maxCacheMegabytes).contains(megabytes) else {
            throw LatentError(
                .data,
                "LATENT_IMAGE_CACHE_MB: expected a whole number of megabytes from 0 to \(maxCacheMegabytes), "
                    + "got '\(text.prefix(40))'")
        }
        return megabytes << 20
    }

    /// $XDG_CACHE_HOME/latent/images (or ~/.cache/latent/images).
    public static var defaultCache: URL {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("latent").appendingPathComponent("images")
    }

    /// The pictures' relative paths (sorted, hidden files skipped), class names, how many pictures lie loose
    /// beside class folders (left out, as torchvision does), and the split folders if the folder comes split.
    static func scan(
        _ folder: URL, notes: (String) -> Void = { _ in }
    ) throws -> (files: [(path: String, label: Int)], classes: [String], loose: Int, layout: SplitFolders?) {
        let paths = try pictures(in: folder, notes: notes)
        let layout = SplitFolders(paths)
        // The part of each path that names its class: below the split folder where the folder comes split.
        let used = layout.map { l in paths.filter { l.holds($0) } } ?? paths
        let inner = layout == nil ? used : used.map { String($0.drop(while: { $0 != "/" }).dropFirst()) }
        let nested = inner.indices.filter { inner[$0].contains("/") }
        let className = { (i: Int) in String(inner[i].prefix(while: { $0 != "/" })) }
        guard !nested.isEmpty else { return (used.map { ($0, 0) }, [], 0, layout) }
        // Class folders: pictures directly in the root belong to no class and are left out (as torchvision).
        let classes = Array(Set(nested.map(className))).sorted()
        guard classes.count <= 256 else {
            throw LatentError(
                .data, field: "data", "\(folder.path) has \(classes.count) class folders; at most 256 are supported")
        }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        return (nested.map { (used[$0], index[className($0)]!) }, classes, inner.count - nested.count, layout)
    }

    /// Every picture's path relative to `folder` (sorted by bytes, hidden files skipped, links followed as
    /// `FolderWalk` does, its notes told); throws if there are none, pointing at a table in the folder if there
    /// is one.
    static func pictures(in folder: URL, notes: (String) -> Void = { _ in }) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw LatentError(.data, field: "data", "\(folder.path) is not a folder") }
        let walk = try FolderWalk(folder)
        walk.notes(for: folder).forEach(notes)
        let paths = walk.files.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
        guard !paths.isEmpty else {
            let table = walk.files.first { ArrayReaders.format(of: URL(fileURLWithPath: $0)) != nil }
            let hint = table.map { "; for a table, give the file itself (`data` \(folder.path)/\($0))" } ?? ""
            throw LatentError(.data, field: "data", "\(folder.path) holds no .png, .jpg or .jpeg files\(hint)")
        }
        return paths
    }

    /// The first-level subfolders of `folder` (hidden ones aside) that are not among `classes`: they hold no
    /// pictures, so a model trained on the folder has no such class.
    static func emptyFolders(_ folder: URL, classes: [String]) -> [String] {
        let known = Set(classes)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return entries.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && !known.contains(name)
                && FileManager.default.fileExists(
                    atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    /// SHA-256 over a format tag, the options and each file's path, length and bytes; with each file's header
    /// (size and colour, nil if unreadable), read from the same bytes.
    static func contentKey(
        _ folder: URL, files: [(path: String, label: Int)], options: ImageOptions, keepingUpTo limit: Int = 0
    ) throws -> (key: String, headers: [PictureHeader?], contents: [Data]?) {
        let hash = SHA256()
        hash.update(keyPrefix(options, count: files.count))
        var headers = [PictureHeader?]()
        headers.reserveCapacity(files.count)
        var contents = [Data](), keeping = limit > 0, kept = 0
        for file in files {
            if StopRequest.isRequested { throw interrupted(folder, done: headers.count, of: files.count, "reading") }
            let data = (try? Data(contentsOf: folder.appendingPathComponent(file.path))) ?? Data()
            hash.update(keyEntry(file, bytes: data.count))
            hash.update(data)
            headers.append(ImageDecoder.header(data))
            kept += data.count
            if keeping && kept > limit { (keeping, contents) = (false, []) }
            if keeping { contents.append(data) }
        }
        return (hash.hexDigest(), headers, keeping ? contents : nil)
    }

    /// The error for a stop asked for (Ctrl-C) while reading or decoding a folder: nothing is cached.
    static func interrupted(_ folder: URL, done: Int, of total: Int, _ doing: String) -> StopRequest.Stopped {
        StopRequest.Stopped("interrupted while \(doing) \(folder.path) (\(done) of \(total) files); nothing was cached")
    }

    /// The size every picture is scaled to: the options' if they give one, else the most common size among the
    /// readable headers (ties: the larger count first, then the first in path order), with a note when the
    /// pictures come in several sizes. Nil when no header is readable.
    static func chooseSize(
        _ headers: [PictureHeader?], options: ImageOptions, folder: URL, notes: (String) -> Void
    ) -> (width: Int, height: Int)? {
        if let w = options.width, let h = options.height { return (w, h) }
        var counts = [String: (count: Int, first: Int, size: (Int, Int))]()
        for (i, header) in headers.enumerated() {
            guard let header else { continue }
            let key = "\(header.width)x\(header.height)"
            counts[key, default: (0, i, (header.width, header.height))].count += 1
        }
        guard let best = counts.values.min(by: { ($0.count, -$0.first) > ($1.count, -$1.first) }) else { return nil }
        if counts.count > 1 {
            let readable = headers.compactMap { $0 }.count
            notes(
                "note: the pictures in \(folder.path) come in \(counts.count) sizes; each is scaled to the most "
                    + "common, \(best.size.0)x\(best.size.1) (\(best.count) of \(readable)); give `imageSize` to "
                    + "choose")
        }
        return best.size
    }

    /// What decoding `folder` would make, from the pictures' headers alone (the first 256 KB of each file):
    /// how many pictures, their size (as `load` chooses it) and channels. For checks before any decoding (a
    /// model's memory on pictures of that size); nothing is decoded or cached.
    public static func plan(
        _ folder: URL, options: ImageOptions
    ) throws -> (count: Int, width: Int, height: Int, channels: Int) {
        try options.validate()
        let (files, _, _, _) = try scan(folder)
        var headers = [PictureHeader?]()
        for file in files {
            if StopRequest.isRequested { throw interrupted(folder, done: headers.count, of: files.count, "reading") }
            let handle = FileHandle(forReadingAtPath: folder.appendingPathComponent(file.path).path)
            let head = (try? handle?.read(upToCount: 1 << 18)) ?? nil
            try? handle?.close()
            headers.append(head.flatMap(ImageDecoder.header))
        }
        return try plan(headers, options: options, folder: folder, notes: { _ in })
    }

    /// The plan of pictures with these headers: their count, the size `chooseSize` picks, and 3 channels if any
    /// picture has colour (unless the options say); refused when no header is readable.
    static func plan(
        _ headers: [PictureHeader?], options: ImageOptions, folder: URL, notes: (String) -> Void
    ) throws -> Plan {
        guard let size = chooseSize(headers, options: options, folder: folder, notes: notes) else {
            throw LatentError(
                .data, field: "data", "none of the \(headers.count) files in \(folder.path) could be read")
        }
        let channels = options.channels ?? (headers.contains { $0?.colour == true } ? 3 : 1)
        return (headers.count, size.width, size.height, channels)
    }

    private static func keyPrefix(_ options: ImageOptions, count: Int) -> String {
        "latent-images-2|\(options.width ?? 0)x\(options.height ?? 0)|\(options.channels ?? 0)|\(count)"
    }

    private static func keyEntry(_ file: (path: String, label: Int), bytes: Int) -> String {
        "|\(file.path)|\(file.label)|\(bytes)|"
    }

    /// Decodes every file at `size` (each scaled to cover it and centre-cropped), in parallel, a block at a time,
    /// reporting progress between blocks and giving up on a stop request between pictures.
    static func decode(
        _ folder: URL, files: [(path: String, label: Int)], classes: [String], options: ImageOptions,
        size: (width: Int, height: Int), contents: [Data]? = nil, progress: (Int, Int) -> Void
    ) throws -> ImageSet {
        let channels = options.channels ?? 3
        let (width, height) = size
        let features = width * height * channels
        try MemoryBudget.check(
            Double(files.count * features), for: "the decoded pictures", domain: .data, field: "imageSize")
        // Each file is read once: its bytes are decoded and hashed, so the set's key is that of what was decoded.
        let hash = SHA256()
        hash.update(keyPrefix(options, count: files.count))
        let hashing = { (i: Int, data: Data) in
            hash.update(keyEntry(files[i], bytes: data.count))
            hash.update(data)
        }
        let (pixels, outcomes, colour) = try decodeAll(
            folder, files.map(\.path), features: features, progress: progress, hashing: hashing
        ) { i in
            // The bytes hashed already, when they were kept; else the file, read again.
            let data = contents?[i] ?? (try? Data(contentsOf: folder.appendingPathComponent(files[i].path))) ?? Data()
            let decoded = Result {
                try ImageDecoder.decode(data, name: files[i].path, channels: channels, covering: (width, height))
            }
            return (data, decoded.map { ($0.hasColour, ImageResize.fit($0, width: width, height: height)) })
        }
        let decodedKey = hash.hexDigest()
        let kept = files.indices.filter { outcomes[$0] == nil }
        var keptPixels = [UInt8]()
        keptPixels.reserveCapacity(kept.count * features)
        for i in kept { keptPixels += pixels[(i * features)..<((i + 1) * features)] }
        var storedChannels = channels
        if options.channels == nil && !kept.contains(where: { colour[$0] }) {
            keptPixels = stride(from: 0, to: keptPixels.count, by: 3).map { keptPixels[$0] }  // grey: R = G = B
            storedChannels = 1
        }
        guard !kept.isEmpty else {
            throw LatentError(
                .data, field: "data",
                "none of the \(files.count) files in \(folder.path) could be read (\(outcomes.compactMap { $0 }[0]))")
        }
        var dataset = try Dataset(
            name: folder.lastPathComponent, pixels: keptPixels, labels: kept.map { UInt8(files[$0].label) },
            height: height, width: width, channels: storedChannels)
        dataset.isLabelled = !classes.isEmpty
        return ImageSet(
            dataset: dataset, files: kept.map { files[$0].path }, classes: classes,
            unreadable: outcomes.compactMap { $0 }, sha256: decodedKey)
    }

    /// Runs `decode` on every file in parallel, a block at a time (progress between blocks), handing each file's
    /// bytes to `hashing` in order: the pixels of each (`features` bytes), the reason for each failure (nil:
    /// decoded), and whether each picture had colour. A stop request (Ctrl-C) is heard before each picture: the
    /// workers leave the rest of the block and the call throws.
    private static func decodeAll(
        _ folder: URL, _ files: [String], features: Int, progress: (Int, Int) -> Void,
        hashing: (Int, Data) -> Void, _ decode: @escaping @Sendable (Int) -> (Data, Result<(Bool, [UInt8]), Error>)
    ) throws -> (pixels: [UInt8], outcomes: [String?], colour: [Bool]) {
        var pixels = [UInt8](repeating: 0, count: files.count * features)
        var outcomes = [String?](repeating: nil, count: files.count)
        var colour = [Bool](repeating: false, count: files.count)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let block = 256
        progress(0, files.count)
        for start in stride(from: 0, to: files.count, by: block) {
            let end = min(files.count, start + block)
            let results = Results(end - start)
            Parallel.forEach(threads) { w in
                for j in stride(from: w, to: end - start, by: threads) {
                    if StopRequest.isRequested { return }  // the picture in hand (a PNG stops within a row) only
                    results.set(j, decode(start + j))
                }
            }
            if StopRequest.isRequested {
                let done = start + results.values.filter { $0 != nil }.count
                throw interrupted(folder, done: done, of: files.count, "decoding")
            }
            for j in 0..<(end - start) {
                let (data, result) = results.values[j]!
                hashing(start + j, data)
                switch result {
                case .success(let (hasColour, image)):
                    colour[start + j] = hasColour
                    pixels.replaceSubrange(((start + j) * features)..<((start + j + 1) * features), with: image)
                case .failure(let error):
                    outcomes[start + j] = (error as? LatentError)?.message ?? "\(files[start + j]): \(error)"
                }
            }
            progress(end, files.count)
        }
        return (pixels, outcomes, colour)
    }
}

/// Results written by parallel workers, each to its own slot.
private final class Results: @unchecked Sendable {
    var values: [(Data, Result<(Bool, [UInt8]), Error>)?]
    private let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ value: (Data, Result<(Bool, [UInt8]), Error>)) { lock.withLock { values[i] = value } }
}
