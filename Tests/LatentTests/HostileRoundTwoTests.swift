import Foundation
import Latent
import Testing

/// The second trust review's cases that need no MPI, no fault injection and no picture corpus (those are
/// Scripts/mpi/check_mpi_hostile.py, Scripts/reliability/check_saves.py and PictureCorpusTests): nothing of the
/// user's is replaced, and saves leave a run that `--resume` can always continue.
@Suite(.serialized) struct HostileRoundTwoTests {
    static let small = ["--epochs", "1", "--limit", "256", "--hidden", "16", "--latent", "2", "--no-progress"]

    /// A folder holding only files with Latent's output names is the user's, not a run: refused without --force,
    /// and left as it was.
    @Test func aFolderOfRunLookingFilesIsNotARun() throws {
        let dir = Support.temporaryDirectory()
        let files = ["samples.png": "my picture", "metrics.jsonl": "{\"mine\": 1}\n", "model.safetensors": "x"]
        for subset in [["samples.png", "metrics.jsonl"], ["samples.png", "metrics.jsonl", "model.safetensors"]] {
            for (name, text) in files {
                let url = dir.appendingPathComponent(name)
                try? FileManager.default.removeItem(at: url)
                if subset.contains(name) { try Data(text.utf8).write(to: url) }
            }
            let r = try Support.runLatent(["train", "--out", dir.path] + Self.small)
            #expect(r.status == 64 && !r.signaled, "\(subset): \(r)")
            #expect(r.stderr.contains("--out: \(dir.path) holds files and is not a Latent run"), "\(r.stderr)")
            for name in subset {
                let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
                #expect(text == files[name], "\(name) was changed")
            }
        }
        // A run Latent made is a run: a second training into it needs --resume or --force.
        let run = Support.temporaryDirectory("a-run")
        #expect(try Support.runLatent(["train", "--out", run.path] + Self.small).status == 0)
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(RunDirectory.markerName).path))
        let again = try Support.runLatent(["train", "--out", run.path] + Self.small)
        #expect(again.status == 64 && again.stderr.contains("already holds a run"), "\(again)")
        #expect(try Support.runLatent(["train", "--out", run.path, "--force"] + Self.small).status == 0)
    }

    /// `latent export --onnx DIR` replaces its own files but not the user's (without --force), and writes both
    /// files or neither.
    @Test func exportReplacesOnlyItsOwnFiles() throws {
        let run = Support.temporaryDirectory("export-run")
        #expect(try Support.runLatent(["train", "--out", run.path, "--force"] + Self.small).status == 0)
        let out = Support.temporaryDirectory("export-out")
        #expect(try Support.runLatent(["export", run.path, "--onnx", out.path]).status == 0)
        #expect(try Support.runLatent(["export", run.path, "--onnx", out.path]).status == 0)  // its own: replaced
        let mine = Data("my own encoder\n".utf8), encoder = out.appendingPathComponent("encoder.onnx")
        try mine.write(to: encoder)
        let decoder = try Data(contentsOf: out.appendingPathComponent("decoder.onnx"))
        let refused = try Support.runLatent(["export", run.path, "--onnx", out.path])
        #expect(refused.status == 64 && !refused.signaled, "\(refused)")
        #expect(refused.stderr.contains("--force: \(encoder.path) exists and was not written by latent export"))
        #expect(try Data(contentsOf: encoder) == mine)
        #expect(try Data(contentsOf: out.appendingPathComponent("decoder.onnx")) == decoder)
        #expect(try Support.runLatent(["export", run.path, "--onnx", out.path, "--force"]).status == 0)
        #expect(try Data(contentsOf: encoder) != mine)
        // Both or neither: a decoder.onnx that is a folder stops the export before the encoder is replaced.
        let both = Support.temporaryDirectory("export-both")
        try FileManager.default.createDirectory(
            at: both.appendingPathComponent("decoder.onnx"), withIntermediateDirectories: true)
        let stopped = try Support.runLatent(["export", run.path, "--onnx", both.path, "--force"])
        #expect(stopped.status != 0 && stopped.stderr.contains("decoder.onnx is a folder"), "\(stopped)")
        let left = try FileManager.default.contentsOfDirectory(atPath: both.path)
        #expect(left == ["decoder.onnx"], "\(left)")
    }

    /// A save stopped after its training state (simulated: the checkpoint and metrics of the last epoch put
    /// back to the epoch before) is completed by `--resume`, which then reaches the uninterrupted weights.
    @Test func aSaveStoppedAfterItsStateIsCompletedByResume() throws {
        let straight = Support.temporaryDirectory("saves-straight"), cut = Support.temporaryDirectory("saves-cut")
        let common = ["--epochs", "2", "--limit", "512", "--hidden", "16", "--latent", "2", "--no-progress", "--force"]
        #expect(try Support.runLatent(["train", "--out", straight.path] + common).status == 0)
        var first = common
        first[1] = "1"
        #expect(try Support.runLatent(["train", "--out", cut.path] + first).status == 0)
        let model = try Data(contentsOf: cut.appendingPathComponent("model.safetensors"))
        let metrics = try Data(contentsOf: cut.appendingPathComponent("metrics.jsonl"))
        let resumed = try Support.runLatent(["train", "--resume", cut.path, "--epochs", "2", "--no-progress"])
        #expect(resumed.status == 0, "\(resumed)")
        try model.write(to: cut.appendingPathComponent("model.safetensors"))  // epoch 1's, beside epoch 2's state
        try metrics.write(to: cut.appendingPathComponent("metrics.jsonl"))
        let completed = try Support.runLatent(["train", "--resume", cut.path, "--epochs", "3", "--no-progress"])
        #expect(completed.status == 0, "\(completed)")
        #expect((completed.stdout + completed.stderr).contains("the save of epoch 2 in \(cut.path) was interrupted"))
        let lines = try String(contentsOf: cut.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(lines.split(separator: "\n").count == 3)
        let reference = Support.temporaryDirectory("saves-three")
        var three = common
        three[1] = "3"
        #expect(try Support.runLatent(["train", "--out", reference.path] + three).status == 0)
        #expect(
            try Data(contentsOf: reference.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: cut.appendingPathComponent("model.safetensors")))
    }

    static func picture(_ name: String) -> URL {
        Support.fixtures.appendingPathComponent("pictures").appendingPathComponent(name)
    }

    /// Links are followed as torchvision follows them (class folders linked from elsewhere, a linked --data), a
    /// link loop is walked once, and what was followed or left out is said: links out of the folder, names that
    /// are not UTF-8.
    @Test func linksAreFollowedAndNamesThatAreNotUTF8AreListed() throws {
        let base = Support.temporaryDirectory(), fm = FileManager.default
        for (folder, source) in [("elsewhere/cats", "rgb8.png"), ("elsewhere/dogs", "rgba8.png")] {
            try fm.createDirectory(at: base.appendingPathComponent(folder), withIntermediateDirectories: true)
            for i in 0..<6 {
                try fm.copyItem(at: Self.picture(source), to: base.appendingPathComponent("\(folder)/\(i).png"))
            }
        }
        let data = base.appendingPathComponent("data")
        try fm.createDirectory(at: data, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: data.path + "/cats", withDestinationPath: "../elsewhere/cats")
        try fm.createSymbolicLink(atPath: data.path + "/dogs", withDestinationPath: base.path + "/elsewhere/dogs")
        try fm.createSymbolicLink(atPath: data.path + "/dogs-again", withDestinationPath: "dogs")
        try fm.createSymbolicLink(atPath: data.path + "/cats/loop", withDestinationPath: data.path)
        // A name that is not UTF-8: "bad\xff.png", made with open(2) (Foundation cannot name it).
        let bytes = Array((base.path + "/elsewhere/cats/bad").utf8) + [0xFF] + Array(".png".utf8) + [0]
        let fd = bytes.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        let linked = base.appendingPathComponent("linked")
        try fm.createSymbolicLink(atPath: linked.path, withDestinationPath: data.path)
        var notes = [String]()
        let set = try ImageFolder.load(linked, options: ImageOptions(), cache: nil, notes: { notes.append($0) })
        #expect(set.classes == ["cats", "dogs", "dogs-again"], "\(set.classes)")
        #expect(set.dataset.count == 18 && set.files.contains("cats/0.png"), "\(set.files)")
        #expect(notes.contains { $0.contains("followed 3 link(s) out of") && $0.contains("cats -> ") }, "\(notes)")
        #expect(notes.contains { $0.contains("not UTF-8") && $0.contains("cats/bad\\xff.png") }, "\(notes)")
        #expect(notes.contains { $0.contains("lead back to a folder above them: cats/loop") }, "\(notes)")
    }

    /// Pictures of several sizes are scaled to the most common one, with a note; a folder whose pictures would
    /// make a model too large is refused from their headers, naming --image-size, before anything is decoded.
    @Test func thePictureSizeIsAStatedChoiceCheckedBeforeDecoding() throws {
        let folder = Support.temporaryDirectory(), fm = FileManager.default
        for i in 0..<3 { try fm.copyItem(at: Self.picture("rgb8.png"), to: folder.appendingPathComponent("\(i).png")) }
        try fm.copyItem(
            at: Support.fixtures.appendingPathComponent("images/rgb8.png"), to: folder.appendingPathComponent("a.png"))
        var notes = [String]()
        let set = try ImageFolder.load(folder, options: ImageOptions(), cache: nil, notes: { notes.append($0) })
        #expect(set.dataset.width == 23 && set.dataset.height == 17)
        #expect(notes.contains { $0.contains("come in 2 sizes") && $0.contains("23x17 (3 of 4)") }, "\(notes)")
        #expect(try ImageFolder.plan(folder, options: ImageOptions()) == (4, 23, 17, 3))
        // 60000x60000 headers (over the 2^26 pixels a picture may have) and pictures that would make too large a
        // model: refused in the CLI from the headers, before decoding, no cache made.
        let huge = Support.temporaryDirectory(), home = Support.temporaryDirectory()
        for i in 0..<3 {
            try fm.copyItem(
                at: Support.fixtures.appendingPathComponent("images/huge.png"),
                to: huge.appendingPathComponent("\(i).png"))
        }
        let cases = [
            (["--data", huge.path], "latent: --data: none of the 3 files in \(huge.path) could be read"),
            (["--data", folder.path, "--image-size", "4096"], "latent: --image-size: this model"),
        ]
        for (args, line) in cases {
            let r = try Support.runLatent(
                ["train", "--out", Support.temporaryDirectory().path] + args + Self.small,
                environment: ["XDG_CACHE_HOME": home.path])
            #expect(r.status == 64 && r.stderr.hasPrefix(line), "\(args): \(r)")
            #expect(!fm.fileExists(atPath: home.appendingPathComponent("latent/images").path))
        }
    }

    /// Data rules hold for every source: a test folder's class with no training pictures is refused (as for
    /// tables); one-hot labels are read, other label shapes refused; a Bernoulli model refuses test data and
    /// server rows outside [0, 1]; a table model refuses a picture.
    @Test func dataRulesHoldForEverySource() throws {
        let root = Support.temporaryDirectory(), fm = FileManager.default
        for (folder, count) in [("train/cats", 4), ("train/dogs", 4), ("test/cats", 2), ("test/birds", 2)] {
            try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            for i in 0..<count {
                try fm.copyItem(at: Self.picture("rgb8.png"), to: root.appendingPathComponent("\(folder)/\(i).png"))
            }
        }
        #expect { try ImageFolder.load(root, options: ImageOptions(), cache: nil) } throws: {
            "\($0)".contains("test has classes with no training pictures: birds")
        }
        // One-hot y (Keras' to_categorical) is read as class numbers; a y that is not one-hot is refused.
        let x = NumericTable(rows: 4, columns: 2, values: [0, 1, 2, 3, 4, 5, 6, 7], header: nil)
        let oneHot = NumericTable(rows: 4, columns: 3, values: [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1], header: nil)
        let table = try ArrayReaders.npz([("x", x), ("y", oneHot)], name: "f.npz")
        #expect(table.columns == 3 && (0..<4).map { table.values[$0 * 3 + 2] } == [2, 0, 1, 2])
        let twoHot = NumericTable(rows: 4, columns: 3, values: [1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1], header: nil)
        #expect { try ArrayReaders.npz([("x", x), ("y", twoHot)], name: "f.npz") } throws: {
            "\($0)".contains("row 0 is not one-hot")
        }
        // A Bernoulli model: test data outside [0, 1] is refused by train as by eval.
        let train = try Dataset(
            name: "t", values: (0..<40).map { Float($0 % 10) / 10 }, labels: Array(repeating: 0, count: 10),
            features: 4)
        let test = try Dataset(
            name: "u", values: (0..<8).map { Float($0) / 4 }, labels: Array(repeating: 0, count: 2), features: 4)
        var config = ModelConfig(kind: .vae)
        (config.hidden, config.latent, config.likelihood) = ([8], 2, .bernoulli)
        #expect { try TrainingData.prepare(train: train, test: test, config: &config) } throws: {
            "\($0)".contains("u holds values in [0.0, 1.75]") && "\($0)".contains("Bernoulli")
        }
        // The server: rows outside [0, 1] for a Bernoulli model; a picture for a table model.
        let run = Support.temporaryDirectory("bernoulli-run")
        #expect(try Support.runLatent(["train", "--out", run.path, "--force"] + Self.small).status == 0)
        let service = try ModelService(run, mapLimit: 100)
        var row = [Float](repeating: 0.5, count: 784)
        row[3] = 1.5
        #expect { try service.encode(row, rows: 1, labels: nil) } throws: {
            "\($0)".contains("value 3 is 1.5") && "\($0)".contains("Bernoulli likelihood reads values in [0, 1]")
        }
        let csv = try Support.writeCSV("t.csv", in: Support.temporaryDirectory(), header: "a,b,c", rows: 60, seed: 1) {
            r, _ in ["\(r % 7)", "\(r % 5)", "\(r % 3)"]
        }
        let tableRun = Support.temporaryDirectory("table-run")
        let trained = try Support.runLatent(
            ["train", "--data", csv.path, "--scale", "minmax", "--out", tableRun.path, "--force"] + Self.small)
        #expect(trained.status == 0, "\(trained)")
        let tableService = try ModelService(tableRun, mapLimit: 100)
        #expect { try tableService.features(picture: Data(contentsOf: Self.picture("rgb8.png"))) } throws: {
            "\($0)".contains("this model reads table rows of 3 values, not pictures")
        }
    }
}
