// The progress renderers: plain lines for logs and pipes, a `\r`-redrawn bar for terminals.

import Testing
import SwiftVision

extension TrainingTests {
    @Suite struct Progress {
        static let step = StepProgress(epoch: 2, epochs: 10, batch: 50, batchesPerEpoch: 200, step: 250, loss: 0.5,
                                       meanLoss: 0.61234, accuracy: 0.8125, lr: 0.01, imagesPerSecond: 812.4,
                                       elapsed: 20, eta: 3725)
        static let metrics = EpochMetrics(epoch: 2, trainLoss: 0.5, trainAccuracy: 0.8, valLoss: 0.4, valAccuracy1: 0.85,
                                          valAccuracy5: 0.99, lr: 0.01, seconds: 74.25, imagesPerSecond: 812.4)

        @Test func plainLines() {
            var out = ""
            let printer = ProgressPrinter(style: .plain, lineEvery: 50, write: { out += $0 })
            printer.report(.step(Self.step))
            var quiet = Self.step
            quiet.batch = 51
            printer.report(.step(quiet))
            printer.report(.epochFinished(Self.metrics))
            printer.report(.checkpointSaved(path: "run.safetensors", epochsCompleted: 2, batch: 0))
            #expect(out == """
                epoch 2/10 batch 50/200 loss 0.5000 (mean 0.6123) acc 81.2% lr 0.01 812 img/s ETA 1:02:05
                epoch 2: train loss 0.5000 acc 80.00% | val loss 0.4000 top-1 85.00% top-5 99.00% | lr 0.01 | 74.2 s, 812 img/s
                  checkpoint run.safetensors (2 epochs done)

                """)
        }

        @Test func terminalBar() {
            var out = ""
            let printer = ProgressPrinter(style: .bar, barWidth: 10, write: { out += $0 })
            printer.report(.step(Self.step))
            #expect(out == "\r\u{1B}[Kepoch 2/10 [==>       ]  25% 50/200 loss 0.6123 acc 81.2% lr 0.01 812 img/s ETA 1:02:05")
            out = ""
            printer.report(.epochFinished(Self.metrics))
            #expect(out.hasPrefix("\r\u{1B}[Kepoch 2: train loss") && out.hasSuffix("\n"))
            out = ""
            printer.report(.finished(TrainingResult(status: .interrupted, epochsCompleted: 1, batch: 7, steps: 207, history: [],
                                                    checkpointPath: "run.safetensors")))
            #expect(out == "interrupted after 1 epochs and 7 batches; resume from run.safetensors\n")
        }

        @Test func durations() {
            #expect(ProgressPrinter.duration(0) == "0:00")
            #expect(ProgressPrinter.duration(59.6) == "1:00")
            #expect(ProgressPrinter.duration(3725) == "1:02:05")
            #expect(ProgressPrinter.duration(.infinity) == "?")
        }
    }
}
