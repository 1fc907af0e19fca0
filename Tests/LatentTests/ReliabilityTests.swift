import Foundation
import Latent
import Testing

/// Interrupted runs: resuming continues bit for bit; a kill at any moment leaves a loadable checkpoint.
@Suite(.serialized) struct ReliabilityTests {
    static let small = [
        "--limit", "600", "--hidden", "32", "--latent", "4", "--seed", "7", "--threads", "2", "--no-progress",
    ]

    @Test func resumedRunEndsBitIdenticalToAnUninterruptedOne() throws {
        let whole = Support.temporaryDirectory("whole"), part = Support.temporaryDirectory("part")
        #expect(try Support.runLatent(["train", "--epochs", "4", "--out", whole.path] + Self.small).status == 0)
        #expect(try Support.runLatent(["train", "--epochs", "2", "--out", part.path] + Self.small).status == 0)
        let library = Support.temporaryDirectory("library")
        try FileManager.default.removeItem(at: library)
        try FileManager.default.copyItem(at: part, to: library)
        let r = try Support.runLatent([
            "train", "--resume", part.path, "--epochs", "4", "--limit", "600", "--no-progress",
        ])
        #expect(r.status == 0 && r.stdout.contains("resuming vae"), "\(r.stderr)")
        let a = try Data(contentsOf: whole.appendingPathComponent("model.safetensors"))
        let b = try Data(contentsOf: part.appendingPathComponent("model.safetensors"))
        #expect(a == b, "weights after 2 + 2 epochs equal those after 4")
        let lossesA = try EpochMetrics.read(whole.appendingPathComponent("metrics.jsonl")).map(\.testLoss)
        let lossesB = try EpochMetrics.read(part.appendingPathComponent("metrics.jsonl")).map(\.testLoss)
        #expect(lossesA == lossesB && lossesA.count == 4)
        // The library resumes on the recorded data and subset (MNIST's first 600) without being given them.
        let history = try Trainer.resume(library, epochs: 4)
        let c = try Data(contentsOf: library.appendingPathComponent("model.safetensors"))
        #expect(history.map(\.testLoss) == lossesA && a == c, "Trainer.resume alone ends where the CLI does")
        // Nothing left to do, or no state to resume from: clear errors.
        let done = try Support.runLatent(["train", "--resume", part.path, "--epochs", "4", "--limit", "600"])
        #expect(done.status != 0 && done.stderr.contains("already trained 4 epochs"))
        try FileManager.default.removeItem(at: part.appendingPathComponent(TrainingState.fileName))
        let gone = try Support.runLatent(["train", "--resume", part.path, "--epochs", "6", "--limit", "600"])
        #expect(gone.status != 0 && gone.stderr.contains("training-state.safetensors"))
    }

    @Test func divergingTrainingStopsNamingTheStepAndKeepsTheLastGoodCheckpoint() throws {
        let dir = Support.temporaryDirectory("nan")
        // At this learning rate (seed 7) the loss turns NaN in the second epoch.
        let r = try Support.runLatent(["train", "--epochs", "3", "--lr", "1000", "--out", dir.path] + Self.small)
        #expect(
            r.status != 0 && r.stderr.contains("at epoch 2, step") && r.stderr.contains("checkpoint of epoch 1")
                && r.stderr.contains("--clip-grad-norm"), "\(r.stderr)")
        let e = try Support.runLatent(["eval", dir.path, "--json", "--threads", "1"])
        #expect(
            e.status == 0 && !e.stdout.contains("nan"),
            "the kept checkpoint loads and evaluates: \(e.stdout) \(e.stderr)")
        let bad = try Support.runLatent(["train", "--clip-grad-norm", "-1", "--out", dir.path])
        #expect(bad.status != 0 && bad.stderr.contains("--clip-grad-norm"))
    }

    @Test func posteriorCollapseIsNamedAndFreeBitsPreventIt() throws {
        // A Gaussian decoder with variance 10 on [0, 1] pixels explains everything by its mean: the KL dies.
        let base = [
            "train", "--epochs", "2", "--limit", "1000", "--likelihood", "gaussian", "--output-variance", "10",
            "--no-progress", "--threads", "1",
        ]
        let collapsed = try Support.runLatent(base + ["--out", Support.temporaryDirectory("collapse").path])
        #expect(
            collapsed.status == 0 && collapsed.stdout.contains("warning: posterior collapse")
                && collapsed.stdout.contains("--free-bits"), "\(collapsed.stdout)")
        let dir = Support.temporaryDirectory("freebits")
        let kept = try Support.runLatent(base + ["--free-bits", "0.5", "--out", dir.path])
        #expect(kept.status == 0 && !kept.stdout.contains("warning: posterior collapse"), "\(kept.stdout)")
        let e = try Support.runLatent(["eval", dir.path, "--json", "--threads", "1"])
        let m = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        #expect((m["active_dims"] as? Double ?? 0) >= 10 && (m["test_kl"] as? Double ?? 0) > 2, "\(m)")
    }

    @Test func killedDuringTrainingAlwaysLeavesALoadableCheckpoint() throws {
        // A small table, so that an epoch is a few milliseconds and writing the checkpoint, the training state
        // and the metrics is a large share of the run: random kills land in every phase, saving included.
        let dir = Support.temporaryDirectory("killed")
        var csv = ""
        var rng = RandomGenerator(seed: 98)
        for _ in 0..<200 { csv += (0..<16).map { _ in String(rng.uniform()) }.joined(separator: ",") + "\n" }
        let table = dir.appendingPathComponent("table.csv")
        try csv.write(to: table, atomically: false, encoding: .utf8)
        let run = dir.appendingPathComponent("run")
        let args = [
            "train", "--model", "vae", "--data", table.path, "--hidden", "64", "--latent", "4", "--threads", "1",
            "--no-progress", "--out", run.path,
        ]
        #expect(try Support.runLatent(args + ["--epochs", "1"]).status == 0)
        for round in 0..<20 {
            let process = Process()
            process.executableURL = Support.latentExecutable
            process.arguments = args + ["--epochs", "100000"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(40_000 + Int(rng.uniform() * 400_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let e = try Support.runLatent(["eval", run.path, "--data", table.path, "--json", "--threads", "1"])
            #expect(e.status == 0, "round \(round): \(e.stderr)")
            let metrics = try EpochMetrics.read(run.appendingPathComponent("metrics.jsonl"))
            #expect(!metrics.isEmpty, "round \(round): metrics.jsonl is whole")
        }
    }
}
