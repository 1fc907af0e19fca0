import Foundation
import Latent
import Testing

/// Pictures as data: every PNG and JPEG flavour decoded by libpng and TurboJPEG, folders that fight back, the
/// decoded-store cache, NPY image arrays, and colour models trained from a folder through the CLI.
@Suite struct ImageFolderTests {
    static func fixture(_ name: String) -> URL {
        Support.fixtures.appendingPathComponent("images").appendingPathComponent(name)
    }

    static func decode(_ name: String, channels: Int = 3) throws -> DecodedImage {
        try ImageDecoder.decode(Data(contentsOf: fixture(name)), name: name, channels: channels)
    }

    /// The 40×30 gradient (R = x, G = y, B = 255 − x) reads back in every format, within JPEG's loss.
    @Test(arguments: [
        ("rgb8.png", 0), ("palette.png", 70), ("interlaced.png", 0), ("baseline.jpg", 12), ("progressive.jpg", 12),
        ("cmyk.jpg", 16),
    ])
    func everyColourFormatDecodes(name: String, tolerance: Int) throws {
        let image = try Self.decode(name)
        #expect(image.width == 40 && image.height == 30 && image.channels == 3 && image.hasColour)
        func pixel(_ x: Int, _ y: Int) -> [Int] { (0..<3).map { Int(image.pixels[(y * 40 + x) * 3 + $0]) } }
        for (x, y, expected) in [(0, 0, [0, 0, 255]), (39, 29, [255, 255, 0]), (39, 0, [255, 0, 0])] {
            let got = pixel(x, y)
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= tolerance }, "\(name) (\(x), \(y)): \(got)")
        }
    }

    @Test func greyAlphaAndSixteenBitDecode() throws {
        let grey16 = try Self.decode("grey16.png", channels: 1)
        #expect(!grey16.hasColour && grey16.pixels[0] == 0 && grey16.pixels[39] == 255)
        let grey = try Self.decode("grey.jpg", channels: 1)
        #expect(abs(Int(grey.pixels[29 * 40]) - 255) <= 8)  // G = y: bottom row bright
        // Alpha 0 at the left edge composites to white; opaque at the right edge keeps the colour.
        let rgba = try Self.decode("rgba.png")
        #expect(rgba.pixels[0..<3].allSatisfy { $0 == 255 })
        #expect(abs(Int(rgba.pixels[(29 * 40 + 39) * 3 + 2]) - 0) <= 2)
        let la = try Self.decode("grey_alpha.png", channels: 1)
        #expect(la.pixels[0] == 255 && abs(Int(la.pixels[29 * 40 + 39]) - 255) <= 2)
        #expect(try Self.decode("one.png").pixels == [200, 10, 30])
        #expect(Array(try Self.decode("palette.png").pixels[0..<3]) == [26, 22, 229])  // palette entry, as Pillow
    }

    /// Headers that claim 60000 x 60000 pixels (valid checksums) are refused before anything that size is made.
    @Test(arguments: ["huge.png", "huge.jpg"])
    func forgedSizesAreRefusedBeforeAllocating(name: String) throws {
        #expect { try Self.decode(name) } throws: {
            "\($0)".contains(name) && "\($0)".contains("60000x60000 pixels is outside")
        }
    }

    /// A JPEG bound for a small size is decoded at a DCT scale that still covers it, and fits to nearly the
    /// same pixels as the full decode (the scaled DCT averages blocks as the area resize does).
    @Test func aJPEGIsDecodedAtTheScaleItNeeds() throws {
        #expect(ImageDecoder.scaledSize(4000, 3000, covering: (64, 64)) == (500, 375))
        #expect(ImageDecoder.scaledSize(4000, 3000, covering: (300, 200)) == (1000, 750))
        #expect(ImageDecoder.scaledSize(40, 30, covering: (40, 30)) == (40, 30))
        for name in ["baseline.jpg", "progressive.jpg", "cmyk.jpg", "grey.jpg"] {
            let data = try Data(contentsOf: Self.fixture(name))
            let full = try ImageDecoder.decode(data, name: name, channels: 3)
            let scaled = try ImageDecoder.decode(data, name: name, channels: 3, covering: (8, 6))
            #expect(scaled.width == 20 && scaled.height == 15, "\(name): 1/2 of 40x30")
            let (a, b) = (ImageResize.fit(full, width: 8, height: 6), ImageResize.fit(scaled, width: 8, height: 6))
            let worst = zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(worst <= 3, "\(name): \(worst) levels apart")
        }
    }

    @Test func resizeAveragesAndCrops() throws {
        // 4000×3000 red | blue → 16×12: no crop needed (4:3), left columns red, right columns blue.
        let big = try Self.decode("big.png")
        let small = ImageResize.fit(big, width: 16, height: 12)
        #expect(Array(small[0..<3]) == [255, 0, 0] && Array(small[(15 * 3)..<(16 * 3)]) == [0, 0, 255])
        // To a square: the centre 3000×3000 is kept, so the boundary falls mid-picture.
        let square = ImageResize.fit(big, width: 10, height: 10)
        #expect(Array(square[0..<3]) == [255, 0, 0] && Array(square[27..<30]) == [0, 0, 255])
        #expect(square[4 * 3] == 255 && square[5 * 3 + 2] == 255)
        // Upscaling a 1×1 picture fills the target.
        let one = ImageResize.fit(try Self.decode("one.png"), width: 3, height: 2)
        #expect(one == Array(repeating: [UInt8(200), 10, 30], count: 6).flatMap { $0 })
    }

    /// A folder with class subfolders, nested folders, every format, broken files and strays.
    static func hostileFolder() throws -> URL {
        let root = Support.temporaryDirectory()
        let fm = FileManager.default
        let layout: [(String, String)] = [
            ("cats/rgb8.png", "rgb8.png"), ("cats/palette.png", "palette.png"),
            ("cats/interlaced.png", "interlaced.png"), ("cats/deeper/nested/grey16.png", "grey16.png"),
            ("dogs/baseline.jpg", "baseline.jpg"), ("dogs/cmyk.JPG", "cmyk.jpg"),
            ("dogs/progressive.jpeg", "progressive.jpg"), ("dogs/grey.jpg", "grey.jpg"), ("dogs/one.png", "one.png"),
            ("dogs/big.png", "big.png"), ("dogs/rgba.png", "rgba.png"), ("root.png", "rgb8.png"),
        ]
        for (path, source) in layout {
            let url = root.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(at: fixture(source), to: url)
        }
        try fm.createDirectory(at: root.appendingPathComponent("broken"), withIntermediateDirectories: true)
        let png = try Data(contentsOf: fixture("rgb8.png"))
        try png.prefix(png.count / 2).write(to: root.appendingPathComponent("broken/truncated.png"))
        try Data().write(to: root.appendingPathComponent("broken/empty.png"))
        try Data("not a picture\n".utf8).write(to: root.appendingPathComponent("broken/notes.png"))
        try Data("ignored\n".utf8).write(to: root.appendingPathComponent("dogs/README.txt"))
        try fm.createDirectory(at: root.appendingPathComponent("birds/none"), withIntermediateDirectories: true)
        return root
    }

    @Test func foldersThatFightBackAreDecodedOrNamed() throws {
        let root = try Self.hostileFolder(), cache = Support.temporaryDirectory()
        var notes = [String]()
        let set = try ImageFolder.load(
            root, options: ImageOptions(width: 16, height: 12), cache: cache, notes: { notes.append($0) })
        #expect(set.classes == ["broken", "cats", "dogs"] && set.dataset.classNames == set.classes)
        #expect(set.dataset.count == 11 && set.dataset.channels == 3 && set.dataset.isLabelled)
        #expect(set.files.first == "cats/deeper/nested/grey16.png" && !set.files.contains("root.png"))
        #expect(notes.contains { $0.contains("1 picture(s) directly in") }, "\(notes)")
        #expect(notes.contains { $0.contains("1 folder(s) in") && $0.hasSuffix("are not classes: birds") })
        #expect(set.unreadable.count == 3)
        for name in ["truncated.png", "empty.png", "notes.png"] {
            #expect(set.unreadable.contains { $0.contains("broken/\(name)") }, "\(name) named")
            #expect(notes.joined().contains(name))
        }
        #expect(Set(set.dataset.labels) == [1, 2])
        // --strict refuses the folder, naming the files.
        #expect {
            try ImageFolder.load(root, options: ImageOptions(width: 16, height: 12, strict: true), cache: cache)
        } throws: { "\($0)".contains("strict") && "\($0)".contains("truncated.png") }
        // The split is every tenth picture, recorded as file names.
        #expect(set.testFiles == [set.files[9]])
        #expect(set.split(.test, testFiles: nil).count == 1 && set.split(.train, testFiles: nil).count == 10)
        #expect(set.split(.test, testFiles: [set.files[0], set.files[1]]).count == 2)
    }

    /// A folder that comes split (train/ beside test/ or val/) keeps its split and takes its classes one level
    /// down; folders that only look like splits (a class named train among others) stay classes.
    @Test func aFolderThatComesSplitKeepsItsSplit() throws {
        func folder(_ paths: [String]) throws -> URL {
            let root = Support.temporaryDirectory()
            for path in paths {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: Self.fixture("rgb8.png"), to: url)
            }
            return root
        }
        func load(_ root: URL) throws -> (set: ImageSet, notes: [String]) {
            var notes = [String]()
            let set = try ImageFolder.load(
                root, options: ImageOptions(width: 8, height: 8), cache: nil, notes: { notes.append($0) })
            return (set, notes)
        }
        let pictures = (0..<6).map { "\($0).png" }
        let split = try folder(
            pictures.map { "train/cats/\($0)" } + pictures.map { "train/dogs/\($0)" } + [
                "test/cats/a.png", "test/dogs/b.png",
            ]
                + ["val/cats/c.png"])
        let (set, notes) = try load(split)
        #expect(set.classes == ["cats", "dogs"] && set.testFolder == "test" && set.dataset.count == 14)
        #expect(set.testFiles == ["test/cats/a.png", "test/dogs/b.png"])
        #expect(set.split(.train, testFiles: nil).count == 12 && set.split(.test, testFiles: nil).labels == [0, 1])
        // The folder says what is test, also when a recorded list (from before a picture was added) says less.
        #expect(set.split(.test, testFiles: ["test/cats/a.png"]).count == 2)
        #expect(notes.contains { $0.contains("test/ (2 pictures) the test split") && $0.hasSuffix("left out: val/") })
        let source = DataSource.images(split, ImageOptions(width: 8, height: 8))
        #expect(DataProvenance(source).images?.testFiles == set.testFiles, "the checkpoint records the test folder")
        // Pictures right in train/ and val/: an unlabelled split.
        let flat = try load(try folder(pictures.map { "train/\($0)" } + ["Val/x.png"])).set
        #expect(flat.classes.isEmpty && !flat.dataset.isLabelled && flat.testFiles == ["Val/x.png"])
        // train/ alone: its every tenth picture is the test split.
        let alone = try load(try folder((0..<10).map { "train/a/\($0).png" })).set
        #expect(alone.classes == ["a"] && alone.testFolder == nil && alone.testFiles == ["train/a/9.png"])
        // A class named train among other classes is a class.
        let vehicles = try load(try folder(["bus/1.png", "train/2.png", "test/3.png"])).set
        #expect(vehicles.classes == ["bus", "test", "train"] && vehicles.testFolder == nil)
    }

    @Test func theDecodedStoreIsCachedByContent() throws {
        let root = try Self.hostileFolder(), cache = Support.temporaryDirectory()
        let options = ImageOptions(width: 8, height: 8)
        let first = try ImageFolder.load(root, options: options, cache: cache)
        let stores = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(stores == [ImageStore.fileName(for: first.sha256)])
        // Read back from the store: the same pictures.
        let again = try ImageFolder.load(root, options: options, cache: cache)
        #expect(again.dataset.pixels == first.dataset.pixels && again.files == first.files)
        // A damaged store is ignored and rewritten.
        let store = cache.appendingPathComponent(stores[0])
        try Data("LTIMG002 damaged".utf8).write(to: store)
        #expect(try ImageFolder.load(root, options: options, cache: cache).dataset.pixels == first.dataset.pixels)
        // Changed content, another key; other options, another key.
        try Data(contentsOf: Self.fixture("one.png")).write(to: root.appendingPathComponent("cats/rgb8.png"))
        let changed = try ImageFolder.load(root, options: options, cache: cache)
        #expect(changed.sha256 != first.sha256 && changed.dataset.pixels != first.dataset.pixels)
        let grey = try ImageFolder.load(root, options: ImageOptions(width: 8, height: 8, channels: 1), cache: cache)
        #expect(grey.dataset.channels == 1 && grey.sha256 != changed.sha256)
        // The cache keeps what fits its limit: the least recently used store goes first, the new one stays.
        let fm = FileManager.default
        let oldest = cache.appendingPathComponent(ImageStore.fileName(for: first.sha256))
        try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: 0)], ofItemAtPath: oldest.path)
        let stored = try fm.contentsOfDirectory(atPath: cache.path).map { cache.appendingPathComponent($0) }
        let bytes = try stored.map { try fm.attributesOfItem(atPath: $0.path)[.size] as? Int ?? 0 }.reduce(0, +)
        var notes: [String] = []
        let small = try ImageFolder.load(  // its store holds more than 800 bytes: one old store must go
            root, options: ImageOptions(width: 5, height: 5), cache: cache, cacheLimit: bytes + 800,
            notes: { notes.append($0) })
        let kept = Set(try fm.contentsOfDirectory(atPath: cache.path))
        #expect(
            kept.count == 3 && kept.contains(ImageStore.fileName(for: small.sha256))
                && !kept.contains(oldest.lastPathComponent))
        #expect(notes.contains { $0.contains("removed 1 least recently used") }, "\(notes)")
    }

    /// A store is verified, never trusted: a flipped pixel, swapped file names or a forged size are found (the
    /// folder is decoded again, with a note) and never trap; a cache size setting out of range is one line.
    @Test func aDamagedOrForgedStoreIsNeverTrusted() throws {
        let root = try Self.hostileFolder(), cache = Support.temporaryDirectory()
        let options = ImageOptions(width: 8, height: 8)
        let first = try ImageFolder.load(root, options: options, cache: cache)
        let store = cache.appendingPathComponent(ImageStore.fileName(for: first.sha256))
        let original = try Data(contentsOf: store)
        func reload(_ bytes: Data) throws -> (ImageSet, [String]) {
            try bytes.write(to: store)
            var notes = [String]()
            return (try ImageFolder.load(root, options: options, cache: cache, notes: { notes.append($0) }), notes)
        }
        var flipped = original
        flipped[flipped.count - 5] ^= 0xFF
        let (again, notes) = try reload(flipped)
        #expect(again.dataset.pixels == first.dataset.pixels)
        #expect(notes.contains { $0.contains("checksum does not match") && $0.contains("decoding again") }, "\(notes)")
        // Two file names of the same length swapped in the header, or two classes: the sizes still add up.
        func swapping(_ x: String, _ y: String) -> Data {
            var bytes = original
            guard let a = bytes.range(of: Data(x.utf8)), let b = bytes.range(of: Data(y.utf8)) else { return Data() }
            bytes.replaceSubrange(a, with: Data(y.utf8))
            bytes.replaceSubrange(b, with: Data(x.utf8))
            return bytes
        }
        for (x, y) in [(#"cats\/rgb8.png"#, #"dogs\/grey.jpg"#), (#""cats""#, #""dogs""#)] {
            let bytes = swapping(x, y)
            #expect(bytes.count == original.count && bytes != original, "\(x) and \(y) are in the store")
            #expect(ImageStore.parse(bytes, name: "x", key: first.sha256).isFailure, "\(x) and \(y)")
        }
        #expect(!ImageStore.parse(original, name: "x", key: first.sha256).isFailure)
        // Forged sizes: each is refused without a trap, before anything of that size is made.
        for (width, height, channels) in [(1 << 62, 1, 3), (1 << 31, 1 << 31, 3), (-1, 8, 3), (8, 8, 1 << 40)] {
            let header = #"{"key":"k","width":\#(width),"height":\#(height),"channels":\#(channels),"#
                + #""files":["a.png"],"classes":[],"unreadable":[],"checksum":""}"#
            var forged = Data("LTIMG002".utf8)
            forged.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: header.utf8.count >> (8 * $0)) })
            forged.append(Data(header.utf8) + Data(count: 200))
            #expect(ImageStore.parse(forged, name: "x", key: "k").isFailure, "\(width)x\(height)x\(channels)")
        }
        let huge = Data("LTIMG002".utf8) + Data(repeating: 0xFF, count: 8) + Data(count: 64)
        #expect(ImageStore.parse(huge, name: "x", key: "k").isFailure)
        // The cache size setting is bounded: a number past 1 TiB or a word is one line, and nothing is removed.
        let home = Support.temporaryDirectory(), kept = home.appendingPathComponent("latent/images/kept.limg")
        try FileManager.default.createDirectory(
            at: kept.deletingLastPathComponent(), withIntermediateDirectories: true)
        try original.write(to: kept)
        for setting in ["9999999999999", "-5", "lots"] {
            let run = try Support.runLatent(
                ["train", "--data", root.path, "--epochs", "1"],
                environment: ["LATENT_IMAGE_CACHE_MB": setting, "XDG_CACHE_HOME": home.path])
            #expect(run.status == 1 && !run.signaled, "\(setting): \(run)")
            #expect(run.stderr.contains("LATENT_IMAGE_CACHE_MB: expected a whole number"), "\(setting): \(run)")
            #expect(FileManager.default.fileExists(atPath: kept.path))
        }
    }

    @Test func defaultsComeFromThePictures() throws {
        // A flat folder of grey pictures: unlabelled, one channel, the first picture's size.
        let root = Support.temporaryDirectory()
        for (i, name) in ["grey16.png", "grey.jpg", "grey_alpha.png"].enumerated() {
            try FileManager.default.copyItem(
                at: Self.fixture(name), to: root.appendingPathComponent("\(i)-\(name)"))
        }
        let set = try ImageFolder.load(root, options: ImageOptions(), cache: nil)
        #expect(
            !set.dataset.isLabelled && set.classes.isEmpty && set.dataset.classNames == nil && set.dataset.channels == 1
        )
        #expect(set.dataset.width == 40 && set.dataset.height == 30)
        #expect {
            try ImageFolder.load(Support.temporaryDirectory(), options: ImageOptions(), cache: nil)
        } throws: { "\($0)".contains("no .png, .jpg or .jpeg") }
        #expect { try ImageOptions.size("64x0") } throws: { "\($0)".contains("imageSize") }
        #expect(try ImageOptions.size("64x48") == (64, 48))
    }

    /// A saved model reads another folder at its own size and channels (an MNIST model: 28x28 grey), and the
    /// folder it was trained on with the recorded options and test split, whatever the flags leave open.
    @Test func aSavedModelReadsFoldersAtItsOwnSize() throws {
        let mine = URL(fileURLWithPath: "/data/my-digits"), trained = URL(fileURLWithPath: "/data/emoji")
        func options(_ source: DataSource) -> ImageOptions? {
            if case .images(_, let options) = source { return options } else { return nil }
        }
        let mnist = ModelConfig(kind: .vae)
        #expect(
            options(TrainingData.source(.images(mine, ImageOptions()), for: mnist, recorded: nil))
                == ImageOptions(width: 28, height: 28, channels: 1))
        let given = ImageOptions(width: 10, height: 20, channels: 3)
        #expect(options(TrainingData.source(.images(mine, given), for: mnist, recorded: nil)) == given)
        var colour = ModelConfig(kind: .vae)
        (colour.inputSize, colour.imageHeight, colour.imageWidth, colour.imageChannels) = (48 * 64 * 3, 48, 64, 3)
        var saved = ImageOptions(width: nil, height: nil, channels: nil)
        saved.testFiles = ["a/9.png"]
        var record = DataProvenance(.named("mnist", directory: nil))
        (record.dataset, record.file, record.images) = (nil, trained.path + "/", saved)
        #expect(options(TrainingData.source(.images(trained, ImageOptions()), for: colour, recorded: record)) == saved)
        var grey = saved
        grey.channels = 1
        #expect(
            options(TrainingData.source(.images(trained, ImageOptions(channels: 1)), for: colour, recorded: record))
                == grey)
        #expect(
            options(TrainingData.source(.images(mine, ImageOptions()), for: colour, recorded: record))
                == ImageOptions(width: 64, height: 48, channels: 3))
        // A table model (one row of features) leaves a folder's size to the pictures.
        var table = ModelConfig(kind: .ae)
        (table.inputSize, table.imageHeight, table.imageWidth) = (12, 1, 12)
        #expect(
            options(TrainingData.source(.images(mine, ImageOptions()), for: table, recorded: nil)) == ImageOptions())
    }

    /// Pictures in 12 classes make a 12-class CVAE (not the default 10, which a label of 11 would overrun); a
    /// saved model refuses data with a label it has no class for.
    @Test func everyLabelOfPicturesHasAClass() throws {
        func pictures(_ n: Int, classes: Int) throws -> Dataset {
            try Dataset(
                name: "p", pixels: [UInt8](repeating: 9, count: n * 16), labels: (0..<n).map { UInt8($0 % classes) },
                height: 4, width: 4)
        }
        var config = ModelConfig(kind: .cvae)
        _ = try TrainingData.prepare(
            train: try pictures(48, classes: 12), test: try pictures(12, classes: 12), config: &config, limit: 5)
        #expect(config.classes == 12)
        #expect(try TrainingData.forModel(config, scaling: nil, try pictures(12, classes: 12)).count == 12)
        #expect { try TrainingData.forModel(config, scaling: nil, try pictures(13, classes: 13)) } throws: {
            "\($0)".contains("label 12") && "\($0)".contains("0…11")
        }
    }

    @Test func npyImageArraysAreImages() throws {
        let dir = Support.temporaryDirectory()
        let values: [Float] = (0..<240).map { (i: Int) -> Float in Float(i % 11) / 10 }
        var npy = ArrayWriters.npy(values, rows: 10, columns: 24)
        // The same bytes with a 4-D shape; two spaces of the header's padding make room for it.
        npy = String(data: npy, encoding: .isoLatin1)!.replacingOccurrences(of: "(10, 24)", with: "(10,4,2,3)")
            .replacingOccurrences(of: "  \n", with: "\n").data(using: .isoLatin1)!
        let url = dir.appendingPathComponent("pictures.npy")
        try npy.write(to: url)
        // A test array of pictures of another shape (the same number of values) is refused, naming both shapes.
        let other = dir.appendingPathComponent("other.npy")
        try String(data: npy, encoding: .isoLatin1)!.replacingOccurrences(of: "(10,4,2,3)", with: "(10,2,4,3)")
            .data(using: .isoLatin1)!.write(to: other)
        #expect { try DataSource.table(url, labelColumn: nil, test: other).load(.test) } throws: {
            "\($0)".contains("other.npy holds 4x2x3 pictures") && "\($0)".contains("pictures.npy holds 2x4x3 pictures")
        }
        #expect { try DataSource.table(url, labelColumn: nil, test: url.standardized).loadAll() } throws: {
            "\($0)".contains("is also the training table")
        }
        var notes: [String] = []
        let all = try DataSource.table(url, labelColumn: nil).loadAll(notes: { notes.append($0) })
        #expect(all.isImage && all.height == 4 && all.width == 2 && all.channels == 3 && all.count == 10)
        #expect(all.pixels[1] == 26 && all.pixels[10] == 255)
        // 0.1 is not a multiple of 1/255: the user hears how far rounding to 8 bits moved it (0.5/255).
        #expect(notes.contains { $0.contains("8-bit") && $0.contains("0.00196") }, "\(notes)")
        // Values that are bytes already move nowhere and say nothing.
        let bytes = try Dataset(
            name: "b", values: (0..<240).map { Float($0 % 256) / 255 }, labels: Array(repeating: 0, count: 10),
            features: 24)
        var quiet: [String] = []
        _ = try bytes.asImages([4, 2, 3], floating: true, notes: { quiet.append($0) })
        #expect(quiet.isEmpty, "\(quiet)")
        // A float array is read on the 0…1 scale by its dtype, never guessed from its values: 0…1.5 is refused
        // (it once read as nearly black 0…255 pixels); an integer array of 0…255 is read as it is.
        let over = try Dataset(
            name: "f", values: (0..<240).map { Float($0 % 16) / 10 }, labels: Array(repeating: 0, count: 10),
            features: 24)
        #expect { try over.asImages([4, 2, 3], floating: true) } throws: {
            "\($0)".contains("[0.0, 1.5]") && "\($0)".contains("float pictures must hold 0…1")
        }
        let integers = try Dataset(
            name: "i", values: (0..<240).map { Float($0) }, labels: Array(repeating: 0, count: 10), features: 24)
        #expect(try integers.asImages([4, 2, 3], floating: false).pixels[239] == 239)
    }
}

/// Bad picture flags get one line naming the flag or path.
@Suite struct PictureFlagTests {
    @Test func badPictureFlagsAreNamed() throws {
        let folder = Support.temporaryDirectory(), out = Support.temporaryDirectory().path
        for i in 0..<10 {  // 40x30 pictures: a test split, and sides no 4 halvings divide
            try FileManager.default.copyItem(
                at: ImageFolderTests.fixture("rgb8.png"), to: folder.appendingPathComponent("\(i).png"))
        }
        let table = try Support.writeCSV("t.csv", in: folder, header: "a,b", rows: 20, seed: 1) { r, _ in
            ["\(r)", "1"]
        }
        let tablesOnly = Support.temporaryDirectory()
        _ = try Support.writeCSV("u.csv", in: tablesOnly, header: "a", rows: 20, seed: 1) { r, _ in ["\(r)"] }
        try Support.expectRefused([
            (["train", "--data", folder.path, "--image-size", "0", "--out", out], "--image-size"),
            (["train", "--data", folder.path, "--image-size", "64y", "--out", out], "--image-size"),
            (["train", "--data", folder.path, "--channels", "2", "--out", out], "--channels"),
            (["train", "--data", "/nonexistent/pictures", "--out", out], "no such file or folder"),
            (["train", "--data", table.path, "--image-size", "64", "--out", out], "folder of pictures"),
            (["train", "--data", folder.appendingPathComponent("3.png").path, "--out", out], "is one picture"),
            (["train", "--data", tablesOnly.path, "--out", out], "for a table, give the file itself (--data "),
            (
                ["train", "--data", folder.path, "--arch", "deepconv", "--conv-channels", "8,8,8,8", "--out", out],
                "--conv-channels"
            ),
        ])
    }
}

/// Colour pictures through the CLI: a deep conv VAE trained on a folder, then every picture verb.
@Suite struct ColourCLITests {
    @Test func aDeepConvVAETrainsOnAFolderAndEveryVerbDrawsInColour() throws {
        let root = Support.temporaryDirectory()
        // 40 pictures in two classes: the colour formats, repeated.
        let sources = ["rgb8.png", "palette.png", "interlaced.png", "baseline.jpg", "progressive.jpg"]
        for i in 0..<40 {
            let folder = root.appendingPathComponent(i % 2 == 0 ? "a" : "b")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: ImageFolderTests.fixture(sources[i % 5]),
                to: folder.appendingPathComponent(String(format: "%02d-", i) + sources[i % 5]))
        }
        let out = Support.temporaryDirectory().appendingPathComponent("run").path
        let cache = ["XDG_CACHE_HOME": Support.temporaryDirectory().path]
        let train = try Support.runLatent(
            [
                "train", "--data", root.path, "--image-size", "16", "--arch", "deepconv", "--conv-channels", "8,16",
                "--latent", "2", "--epochs", "1", "--batch-size", "8", "--out", out, "--seed", "1",
            ], environment: cache)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("deepconv"))
        let pictures = Support.temporaryDirectory()
        for (verb, extra) in [
            ("sample", [String]()), ("reconstruct", []), ("interpolate", ["--from", "0", "--to", "1"]),
            ("plot", ["manifold"]),
        ] {
            let png = pictures.appendingPathComponent("\(verb).png").path
            let args = [verb] + extra + [out, "--out", png]
            let r = try Support.runLatent(args, environment: cache)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: png), "\(verb) wrote \(png)")
        }
        // A picture written among the training pictures would join them: refused.
        let inside = try Support.runLatent(
            ["reconstruct", out, "--out", root.appendingPathComponent("a/r.png").path], environment: cache)
        #expect(inside.status != 0 && inside.stderr.contains("an input of this command"), "\(inside.stderr)")
        let files = Support.temporaryDirectory()
        for args in [
            ["encode", out, "--out", files.appendingPathComponent("codes.csv").path],
            ["plot", "latent", out, "--out", files.appendingPathComponent("latent.png").path],
            ["anomaly", out, "--out", files.appendingPathComponent("scores.csv").path],
            ["semisup", out, "--labels", "10", "--classifier", "knn"],
            ["tsne", "--data", root.path, "--image-size", "16", "--out", files.appendingPathComponent("t.png").path],
        ] {
            let r = try Support.runLatent(args, environment: cache)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let dae = Support.temporaryDirectory().appendingPathComponent("dae").path
        for args in [
            [
                "train", "--model", "dae", "--noise", "gaussian:0.3", "--data", root.path, "--image-size", "16",
                "--arch", "deepconv", "--conv-channels", "8", "--latent", "4", "--epochs", "1", "--out", dae,
            ],
            ["denoise", dae, "--out", files.appendingPathComponent("denoised.png").path],
        ] {
            let r = try Support.runLatent(args, environment: cache)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let eval = try Support.runLatent(["eval", out, "--json"], environment: cache)
        #expect(eval.status == 0 && eval.stdout.contains("\"images\":4,"), "\(eval.stdout) \(eval.stderr)")
        // The test split is the one recorded at training: pictures added later do not join it.
        for i in 40..<60 {
            try FileManager.default.copyItem(
                at: ImageFolderTests.fixture("rgb8.png"), to: root.appendingPathComponent("a/\(i)-late.png"))
        }
        let later = try Support.runLatent(["eval", out, "--json"], environment: cache)
        #expect(later.status == 0 && later.stdout.contains("\"images\":4,"), "\(later.stdout)")
        #expect(later.stderr.contains("has changed since the model was trained"), "\(later.stderr)")
        // Named again, the folder is read as recorded (its size and split); a size the model cannot take is named.
        let named = try Support.runLatent(["eval", out, "--data", root.path, "--json"], environment: cache)
        #expect(named.status == 0 && named.stdout.contains("\"images\":4,"), "\(named.stdout) \(named.stderr)")
        let resized = try Support.runLatent(
            ["eval", out, "--data", root.path, "--image-size", "8"], environment: cache)
        #expect(resized.status == 64 && resized.stderr.contains("the model takes 16x16 pictures"), "\(resized.stderr)")
    }
}

extension Result {
    /// Whether this is a failure.
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
