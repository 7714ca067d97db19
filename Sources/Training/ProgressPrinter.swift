// Renders training events for people. On a terminal (stdout is a TTY) the current epoch is one
// line redrawn in place with `\r` (at most 10 times a second):
//   epoch 1/10 [==========>          ]  52% 488/938 loss 0.4123 acc 85.2% lr 0.01 1234 img/s ETA 3:21
// Otherwise (a pipe, a log file, CI) plain lines every `lineEvery` batches:
//   epoch 1/10 batch 100/938 loss 0.4123 (mean 0.5002) acc 81.3% lr 0.01 1234 img/s ETA 3:21
// Both print one summary line per epoch, the checkpoint writes and the end of the run.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `TrainingReporter` that prints progress: a redrawn bar on a TTY, plain lines otherwise.
public final class ProgressPrinter: TrainingReporter {
    /// How progress is shown.
    public enum Style: Sendable {
        /// `bar` when standard output is a terminal, else `plain`.
        case automatic
        /// One line redrawn with `\r`.
        case bar
        /// A plain line every `lineEvery` batches.
        case plain
    }

    /// The style in use (`automatic` resolved).
    public let style: Style
    /// Plain mode prints a step line every this many batches (and at an epoch's last batch).
    public let lineEvery: Int
    private let barWidth: Int
    private let write: (String) -> Void
    private var barOpen = false
    private var lastDraw: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - write: where text goes (default: standard output, flushed after each write).
    public init(style: Style = .automatic, lineEvery: Int = 100, barWidth: Int = 24,
                write: @escaping (String) -> Void = ProgressPrinter.standardOutput) {
        if case .automatic = style {
            self.style = isatty(STDOUT_FILENO) == 1 ? .bar : .plain
        } else {
            self.style = style
        }
        self.lineEvery = max(1, lineEvery)
        self.barWidth = max(5, barWidth)
        self.write = write
    }

    /// Writes to standard output through the same buffer as `print`, then flushes.
    public static func standardOutput(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }

    public func report(_ event: TrainingEvent) {
        switch event {
        case .started(let plan):
            var line = "training \(plan.architecture) (\(plan.parameterCount) parameters): \(plan.epochs) epochs of "
                + "\(plan.batchesPerEpoch) batches (\(plan.samplesPerEpoch) images)"
            if plan.validates { line += ", validating after each epoch" }
            if plan.startEpoch > 1 || plan.startBatch > 0 {
                line += "; resuming at epoch \(plan.startEpoch)" + (plan.startBatch > 0 ? ", batch \(plan.startBatch + 1)" : "")
            }
            emit(line)
        case .step(let s):
            if style == .bar {
                let now = clock.now
                if let last = lastDraw, s.batch < s.batchesPerEpoch, now - last < .milliseconds(100) { return }
                lastDraw = now
                write("\r\u{1B}[K" + barLine(s))
                barOpen = true
            } else if s.batch % lineEvery == 0 || s.batch == s.batchesPerEpoch {
                emit(Self.stepLine(s))
            }
        case .validating(let epoch, let batches):
            if style == .bar {
                write("\r\u{1B}[K" + "epoch \(epoch): validating (\(batches) batches)...")
                barOpen = true
            }
        case .epochFinished(let m):
            emit(Self.epochLine(m))
        case .checkpointSaved(let path, let epochs, let batch):
            emit("  checkpoint \(path) (\(epochs) epochs" + (batch > 0 ? " + \(batch) batches" : "") + " done)")
        case .finished(let r):
            switch r.status {
            case .completed:
                emit("finished: \(r.epochsCompleted) epochs, \(r.steps) steps")
            case .interrupted:
                let position = "after \(r.epochsCompleted) epochs" + (r.batch > 0 ? " and \(r.batch) batches" : "")
                emit("interrupted \(position)" + (r.checkpointPath.map { "; resume from \($0)" } ?? " (no checkpoint path was given)"))
            }
        }
    }

    /// Prints a full line, first closing a bar drawn in place.
    private func emit(_ line: String) {
        write((barOpen ? "\r\u{1B}[K" : "") + line + "\n")
        barOpen = false
    }

    private func barLine(_ s: StepProgress) -> String {
        let fraction = Double(s.batch) / Double(max(s.batchesPerEpoch, 1))
        let filled = Int(fraction * Double(barWidth))
        let bar = String(repeating: "=", count: filled) + (filled < barWidth ? ">" : "")
            + String(repeating: " ", count: max(0, barWidth - filled - 1))
        return "epoch \(s.epoch)/\(s.epochs) [\(bar)] " + String(format: "%3d%% ", Int(fraction * 100))
            + "\(s.batch)/\(s.batchesPerEpoch) " + String(format: "loss %.4f acc %.1f%% ", s.meanLoss, s.accuracy * 100)
            + "lr \(Self.number(s.lr)) " + String(format: "%.0f img/s ", s.imagesPerSecond) + "ETA \(Self.duration(s.eta))"
    }

    /// A plain step line.
    public static func stepLine(_ s: StepProgress) -> String {
        "epoch \(s.epoch)/\(s.epochs) batch \(s.batch)/\(s.batchesPerEpoch) "
            + String(format: "loss %.4f (mean %.4f) acc %.1f%% ", s.loss, s.meanLoss, s.accuracy * 100)
            + "lr \(number(s.lr)) " + String(format: "%.0f img/s ", s.imagesPerSecond) + "ETA \(duration(s.eta))"
    }

    /// The summary line of an epoch.
    public static func epochLine(_ m: EpochMetrics) -> String {
        var line = "epoch \(m.epoch): " + String(format: "train loss %.4f acc %.2f%%", m.trainLoss, m.trainAccuracy * 100)
        if let loss = m.valLoss, let a1 = m.valAccuracy1, let a5 = m.valAccuracy5 {
            line += String(format: " | val loss %.4f top-1 %.2f%% top-5 %.2f%%", loss, a1 * 100, a5 * 100)
        }
        line += " | lr \(number(m.lr)) | " + String(format: "%.1f s, %.0f img/s", m.seconds, m.imagesPerSecond)
        if m.skippedSamples > 0 { line += " | \(m.skippedSamples) unreadable samples skipped" }
        return line
    }

    /// Seconds as m:ss or h:mm:ss.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let t = Int(seconds.rounded())
        let (h, m, s) = (t / 3600, (t / 60) % 60, t % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// A learning rate in the shortest clear form (0.1, 0.00025, 1e-05).
    static func number(_ v: Double) -> String { String(format: "%.3g", v) }
}
