import Foundation
import Latent
import Testing

/// The `latent` executable: errors are one line on stderr naming the flag or file, with a non-zero exit.
@Suite struct CLITests {
    @Test func executableIsBuilt() {
        #expect(
            FileManager.default.isExecutableFile(atPath: Support.latentExecutable.path),
            "build the tool first: swift build -c release")
    }

    @Test(arguments: [
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--hidden", "400,x"], "--hidden"),
        (["train", "--activation", "swish"], "swish"),
        (["train", "--model", "gan"], "--model"),
        (["train", "--bogus"], "--bogus"),
        (["train", "--lr", "-1"], "--lr"),
        (["train", "--data-dir", "/nonexistent/mnist", "--epochs", "1"], "/nonexistent/mnist"),
        (["eval", "/nonexistent/run"], "/nonexistent/run"),
        (["train", "--dataset", "cifar"], "cifar"),
        (
            ["train", "--epochs", "1", "--limit", "100", "--out", "/proc/latent-unwritable/run"],
            "/proc/latent-unwritable/run"
        ),
        (["tsne", "/nonexistent/codes.npy", "--out", "/tmp/x.png"], "/nonexistent/codes.npy"),
        (["train", "--data", "/nonexistent/table.csv"], "/nonexistent/table.csv"),
    ])
    func badInputGivesOneClearLine(arguments: [String], mention: String) throws {
        let r = try Support.runLatent(arguments)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("latent: ") && r.stderr.contains(mention), "stderr: \(r.stderr)")
    }

    @Test func corruptCheckpointIsNamed() throws {
        let dir = Support.temporaryDirectory()
        try Data("not a checkpoint".utf8).write(to: dir.appendingPathComponent("model.safetensors"))
        let r = try Support.runLatent(["eval", dir.path])
        #expect(r.status != 0 && r.stderr.contains("model.safetensors") && r.stderr.contains("not a valid safetensors"))
    }

    @Test func trainThenEvalJSON() throws {
        let dir = Support.temporaryDirectory()
        let t = try Support.runLatent([
            "train", "--epochs", "1", "--limit", "1000", "--hidden", "32", "--latent", "2",
            "--out", dir.path, "--seed", "3", "--threads", "1",
        ])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("epoch 1/1") && t.stdout.contains("images/s"))
        let e = try Support.runLatent(["eval", dir.path, "--json", "--threads", "1"])
        #expect(e.status == 0, "\(e.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any]
        #expect(object?["images"] as? Int == 10_000)
        let metrics = try EpochMetrics.read(dir.appendingPathComponent("metrics.jsonl"))
        #expect((object?["test_loss"] as? Double).map { abs($0 - metrics[0].testLoss) < 1e-9 } == true)
        // `latent info`: the model's tensors by name and shape, the data and the training, as the run holds them.
        let i = try Support.runLatent(["info", dir.path])
        #expect(i.status == 0 && i.stdout.contains("vae (mlp), 51,220 parameters, 1 epoch (seed 3)"), "\(i.stdout)")
        let model = "28x28x1 → 32 → 2 → 32 → 28x28x1"
        #expect(i.stdout.contains(model) && i.stdout.contains("first 1000 training examples"))
        #expect(i.stdout.contains("encoder.0.weight  [32, 784]") && i.stdout.contains("batch 128, lr 0.001"))
        let j = try Support.runLatent(["info", dir.path, "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let tensors = summary?["tensors"] as? [[String: Any]] ?? []
        let counted = tensors.map { ($0["shape"] as? [Int] ?? []).reduce(1, *) }.reduce(0, +)
        #expect(summary?["parameters"] as? Int == 51_220 && counted == 51_220, "\(j.stdout.prefix(300))")
        let none = try Support.runLatent(["info", Support.temporaryDirectory().path])
        #expect(none.status != 0 && none.stderr.contains("model.safetensors"), "\(none.stderr)")
    }

    @Test func helpIsPrintedInFull() throws {
        let r = try Support.runLatent(["train", "--help"])
        #expect(r.status == 0 && r.stdout.contains("--batch-size") && r.stdout.contains("--latent"))
    }
}
