// `vision bench`: speed measurements printed next to a reference measured in the same run.
import ArgumentParser
import Foundation
import SwiftVision

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed against a reference in the same run (medians of repeated runs).",
        subcommands: [TensorBench.self])
}

struct TensorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "Tensor engine: matmul vs a bare cblas_sgemm, elementwise ops vs a plain loop.",
        discussion: "The tensor path should be within 5% of cblas_sgemm and within 1.5× of the plain loop.")

    @Option(help: "Timed runs per measurement (the median is printed).")
    var repeats = 15

    func run() throws {
        print("threads: \(Threading.count)")
        print(pad("work", 26) + pad("SwiftVision", 14) + pad("reference", 14) + "ratio")
        let shapes = [(1024, 1024, 1024), (64, 3136, 576), (512, 49, 4608)]
        var rows = shapes.map { TensorBenchmark.matmul(m: $0.0, n: $0.1, k: $0.2, repeats: repeats) }
        rows += TensorBenchmark.elementwise(repeats: repeats)
        for r in rows {
            print(pad(r.name, 26) + pad(String(format: "%.1f %@", r.ours, r.unit), 14)
                + pad(String(format: "%.1f %@", r.reference, r.unit), 14) + String(format: "%.2f", r.ratio))
        }
    }
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
