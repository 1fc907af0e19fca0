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
}
