import Foundation
import Latent
import Testing

/// `--lr-schedule burda`: Burda et al.'s stages, applied per epoch, saved with the run and continued by `--resume`.
@Suite struct LearningRateScheduleTests {
    @Test func burdasStages() {
        let s = LearningRateSchedule.burda
        // Stage i lasts 3^i epochs: 1 | 2–4 | 5–13 | 14–40 | … | 1094–3280, then the last stage's rate.
        let expected: [(Int, Double)] = [
            (1, 0), (2, 1), (4, 1), (5, 2), (13, 2), (14, 3), (40, 3), (41, 4), (1093, 6), (1094, 7), (3280, 7),
            (5000, 7),
        ]
        for (epoch, stage) in expected {
            let rate = Double(s.rate(base: 1e-3, epoch: epoch)), want = 1e-3 * pow(10, -stage / 7)
            #expect(abs(rate - want) < 1e-9, "epoch \(epoch): \(rate) vs \(want)")
        }
        #expect(LearningRateSchedule.constant.rate(base: 2e-3, epoch: 77) == 2e-3)
    }

    @Test func appliedPerEpochSavedAndResumed() throws {
        let dir = Support.temporaryDirectory()
        func train(_ name: String, _ extra: [String]) throws -> String {
            let run = dir.appendingPathComponent(name).path
            let r = try Support.runLatent(
                ["train", "--hidden", "16", "--latent", "2", "--limit", "300", "--out", run, "--no-progress"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return run
        }
        // Epoch 1 runs at the base rate either way; epoch 2 at base·10^(−1/7) under burda.
        let constantOne = try train("c1", ["--epochs", "1"])
        let burdaOne = try train("b1", ["--epochs", "1", "--lr-schedule", "burda"])
        try Support.expectSameModel(constantOne, burdaOne, "the first stage is the base rate")
        let constantTwo = try train("c2", ["--epochs", "2"])
        let burdaTwo = try train("b2", ["--epochs", "2", "--lr-schedule", "burda"])
        let differ = try Data(contentsOf: URL(fileURLWithPath: constantTwo + "/model.safetensors"))
            != Data(contentsOf: URL(fileURLWithPath: burdaTwo + "/model.safetensors"))
        #expect(differ, "the second epoch's rate should differ")
        // Two epochs, then two more by --resume, equal four straight: the schedule is saved with the run.
        let straight = try train("b4", ["--epochs", "4", "--lr-schedule", "burda"])
        let resumed = try train("r", ["--epochs", "2", "--lr-schedule", "burda"])
        let more = try Support.runLatent(["train", "--resume", resumed, "--epochs", "4", "--no-progress"])
        #expect(more.status == 0, "\(more.stderr)")
        try Support.expectSameModel(straight, resumed, "a resumed burda run continues its schedule")
        try Support.expectTrainingRefused([(["--lr-schedule", "cosine"], "--lr-schedule")])
    }
}
