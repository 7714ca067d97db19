// The DataLoader benchmark's report as the aligned text `vision bench data` prints.
import Foundation

extension DataLoaderBenchmark {
    /// The report as aligned text lines.
    public static func format(_ report: Report) -> String {
        let header = String(format: "%d JPEGs %d×%d (%.1f MiB, written in %.1f s), batch %d, ",
                            report.imageCount, report.width, report.height, report.folderMiB, report.buildSeconds,
                            report.batchSize) + report.pipeline
        return header + "\n" + format(report.results)
    }

    /// Timing results as aligned text lines.
    public static func format(_ results: [Result]) -> String {
        var lines: [String] = []
        for r in results {
            let rss = r.peakRSSMiB.map { String(format: "peak RSS %7.1f MiB", $0) + (r.peakWasReset ? "" : " (process)") } ?? "peak RSS n/a"
            lines.append("workers \(r.workers)".padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%8.1f images/s   median %6.2f s for %d images (%d epochs)   ", r.imagesPerSecond, r.seconds, r.images, r.epochs) + rss)
        }
        return lines.joined(separator: "\n")
    }
}
