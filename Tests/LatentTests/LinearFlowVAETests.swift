import Foundation
import Latent
import Testing

/// The planar-flow VAE (`linnf`): a flow's log-determinant against the determinant of its Jacobian by finite
/// differences, and the kind through the CLI (its loss against Pythae's `VAE_LinNF` is
/// `Scripts/family/check_pythae.py`'s; its IS-NLL against PyTorch's, `Scripts/likelihood/check_is_nll.py`'s).
@Suite struct LinearFlowVAETests {
    @Test func logDeterminantIsTheJacobians() {
        var rng = RandomGenerator(seed: 3)
        let d = 3
        let flow = PlanarFlow(latent: d, rng: &rng)
        let z = Support.random([4, d], seed: 8)
        let (_, logDet) = flow(Variable(z))
        let h: Float = 1e-3
        for r in 0..<4 {
            // J[i][j] = ∂f_i/∂z_j by central differences, then its determinant (3 × 3).
            var jac = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for j in 0..<d {
                let plus = z.copy(), minus = z.copy()
                plus[r, j] += h
                minus[r, j] -= h
                let fp = flow(Variable(plus)).z.value, fm = flow(Variable(minus)).z.value
                for i in 0..<d { jac[i][j] = Double(fp[r, i] - fm[r, i]) / Double(2 * h) }
            }
            let det =
                jac[0][0] * (jac[1][1] * jac[2][2] - jac[1][2] * jac[2][1])
                - jac[0][1] * (jac[1][0] * jac[2][2] - jac[1][2] * jac[2][0])
                + jac[0][2] * (jac[1][0] * jac[2][1] - jac[1][1] * jac[2][0])
            let expected = log(abs(det) + 1e-4)
            let got = Double(logDet.value.data[r])
            #expect(abs(got - expected) < 2e-2, "row \(r): \(got) vs \(expected)")
        }
    }

    @Test func everyVerbWorksAndBadSettingsAreNamed() throws {
        let dir = Support.temporaryDirectory(), run = dir.appendingPathComponent("run").path
        let train = try Support.runLatent([
            "train", "--model", "linnf", "--flows", "3", "--hidden", "32", "--latent", "3", "--epochs", "1",
            "--limit", "1000", "--out", run, "--no-progress",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let metrics = try Support.evalJSON(run)
        #expect(metrics["kind"] as? String == "linnf" && metrics["test_kl"] != nil)
        try Support.expectSucceeded([
            ["sample", run, "--out", dir.appendingPathComponent("s.png").path],
            ["reconstruct", run, "--out", dir.appendingPathComponent("r.png").path],
            ["eval", run, "--iwae-k", "20", "--images", "30"],
            ["export", run, "--onnx", dir.appendingPathComponent("onnx").path],
        ])
        try Support.expectRefused([
            (["anomaly", run, "--score", "elbo", "--out", dir.appendingPathComponent("a.csv").path], "elbo")
        ])
        try Support.expectTrainingRefused([
            (["--model", "linnf", "--flows", "0"], "--flows"),
            (["--model", "linnf", "--flows", "65"], "--flows"),
            (["--model", "vae", "--flows", "2"], "--flows"),
        ])
    }
}
