import Foundation

/// Reports progress: a live bar redrawn in place on a terminal, or nothing between the per-epoch lines
/// when output goes to a file or pipe.
public final class ProgressReporter {
    private let live: Bool
    private var lastDraw = 0.0
    private let start = Date()
    private let examples: String

    /// A reporter drawing a live bar if `live`; `examples` names what training counts per second.
    public init(live: Bool, examples: String = "images") { (self.live, self.examples) = (live, examples) }

    /// Whether standard error is a terminal.
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Redraws the bar (at most ten times a second).
    public func update(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, imagesPerSecond: Double) {
        guard live else { return }
        let now = Date().timeIntervalSince(start)
        guard batch == batches || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = batches == 0 ? width : width * batch / batches
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(
            format: "\rEpoch %d/%d %@ %d/%d  loss %.2f  %.0f %@/s ", epoch, epochs, bar, batch, batches, loss,
            imagesPerSecond, examples)
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }

    /// Progress of a long job other than training: a live bar on a terminal, otherwise a plain line at
    /// every tenth of the work.
    public func update(_ label: String, done: Int, total: Int) {
        let now = Date().timeIntervalSince(start)
        let rate = now > 0 ? Double(done) / now : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        if live {
            guard done == total || now - lastDraw >= 0.1 else { return }
            lastDraw = now
            let width = 30, filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            try? FileHandle.standardError.write(
                contentsOf:
                    Data(String(format: "\r%@ %@ %d/%d  %.0f s left ", label, bar, done, total, remaining).utf8))
        } else {
            let step = max(1, total / 10)
            guard done / step > lastTenth, now >= 2 else { return }  // short jobs stay quiet
            lastTenth = done / step
            try? FileHandle.standardError.write(
                contentsOf:
                    Data(String(format: "%@: %d/%d (%.0f s, %.0f s left)\n", label, done, total, now, remaining).utf8))
        }
    }
    private var lastTenth = 0

    /// Clears the bar before a permanent line is printed.
    public func clear() {
        guard live else { return }
        try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8))
    }
}
