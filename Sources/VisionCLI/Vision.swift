// The `vision` command-line tool.
import ArgumentParser
import SwiftVision

@main
struct Vision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision",
        abstract: "SwiftVision: classify images, train CNNs and import the torchvision model zoo.",
        discussion: """
            Threads: VISION_NUM_THREADS (default: all cores) sets SwiftVision's threads; each \
            OpenBLAS call runs on one of them and large GEMMs are split across them \
            (VISION_OPENBLAS_POOL=1: OpenBLAS's own thread pool instead). Worker threads poll \
            for the next job for VISION_SPIN_US microseconds (default 300) before sleeping.
            """,
        subcommands: [Demo.self, Train.self, Evaluate.self, Classify.self, Convert.self, ZooCommand.self, Bench.self])
}
