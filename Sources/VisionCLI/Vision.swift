// The `vision` command-line tool.
import ArgumentParser
import SwiftVision

@main
struct Vision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision",
        abstract: "SwiftVision: classify images, train CNNs and import the torchvision model zoo.",
        discussion: """
            Threads: VISION_NUM_THREADS (default: all cores) sets both OpenBLAS's GEMM threads and
            SwiftVision's own parallel loops.
            """,
        subcommands: [Demo.self, Train.self, Evaluate.self, Classify.self, Convert.self, ZooCommand.self, Bench.self])
}
