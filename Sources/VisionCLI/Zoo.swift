// `vision zoo list | download`: the torchvision model zoo and the local weights cache.
import ArgumentParser
import Foundation
import SwiftVision

struct ZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "List the torchvision model zoo and download its weights into the local cache.",
        discussion: """
            Weights are cached in $VISION_HOME/checkpoints, or ~/.cache/swiftvision/checkpoints when \
            VISION_HOME is not set. `vision classify --model NAME` uses the cached file of a zoo entry.
            """,
        subcommands: [ZooList.self, ZooDownload.self])
}

struct ZooList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show every zoo entry: parameters, published ImageNet-1k accuracy, eval preset (resize/crop, interpolation, normalisation) and whether it is cached.")

    func run() throws {
        let cache = ZooCache.current
        print(pad("name", 22) + pad("architecture", 18) + pad("params", 10) + pad("acc@1", 8) + pad("acc@5", 8)
            + pad("preset", 18) + pad("cached", 8) + "normalisation")
        for e in Zoo.entries {
            print(pad(e.name, 22) + pad(e.architecture, 18) + pad(String(format: "%.1fM", Double(e.numParams) / 1e6), 10)
                + pad(String(format: "%.3f", e.acc1), 8) + pad(String(format: "%.3f", e.acc5), 8)
                + pad("\(e.preset.resizeSize)/\(e.preset.cropSize) \(e.preset.interpolation)", 18)
                + pad(cache.isCached(e) ? "yes" : "no", 8)
                + (e.preset.hasImagenetNormalization ? "imagenet" : e.preset.normalizationText))
        }
        print("cache: \(cache.checkpointsDirectory) (set VISION_HOME to move it)")
    }
}

struct ZooDownload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a zoo entry's weights into the cache, verifying torchvision's SHA-256 prefix.",
        discussion: """
            The file is streamed to a temporary file in the cache directory and renamed to its final \
            name (e.g. resnet18-f37072fd.pth) only once its SHA-256 starts with the prefix in that name; \
            a failed or interrupted download leaves no file under the final name. Prints the path.
            """)

    @Argument(help: "Zoo entry name (see `vision zoo list`), e.g. resnet18 or resnet50_v2.")
    var name: String
    @Option(help: "Download from this URL instead of download.pytorch.org (a mirror; the hash is still checked).")
    var url: String?
    @Flag(help: "Download again even if the file is already cached.")
    var force = false
    @Option(help: "Seconds without data before the download is abandoned.")
    var timeout: Double = 60

    func run() throws {
        let entry = try Zoo.entry(name)
        let cache = ZooCache.current
        if cache.isCached(entry) && !force {
            FileHandle.standardError.write(Data("\(entry.name): already cached\n".utf8))
            print(cache.path(for: entry))
            return
        }
        FileHandle.standardError.write(Data("downloading \(url ?? entry.url)\n".utf8))
        let meter = ProgressMeter(label: entry.fileName, tty: isatty(STDERR_FILENO) == 1)
        let path: String
        do {
            path = try ZooDownloader.download(entry, into: cache, from: url, timeout: timeout, progress: meter.update)
        } catch {
            meter.finish()
            throw error
        }
        meter.finish()
        print(path)
    }
}

/// Download progress on stderr: a redrawn bar on a terminal, a plain line every 10% otherwise.
final class ProgressMeter: @unchecked Sendable {
    private let label: String
    private let tty: Bool
    private let lock = NSLock()
    private var lastStep = -1
    private var drew = false

    init(label: String, tty: Bool) { self.label = label; self.tty = tty }

    func update(_ received: Int64, _ total: Int64?) {
        lock.lock(); defer { lock.unlock() }
        let mb = Double(received) / 1_048_576
        if let total, total > 0 {
            let fraction = min(1, Double(received) / Double(total))
            let step = Int(fraction * (tty ? 200 : 10))
            guard step != lastStep else { return }
            lastStep = step
            if tty {
                let filled = Int(fraction * 30)
                let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
                emit(String(format: "\r%@ [%@] %3.0f%% %.1f/%.1f MB", label, bar, fraction * 100, mb, Double(total) / 1_048_576))
                drew = true
            } else {
                emit(String(format: "%@: %3.0f%% (%.1f MB)\n", label, fraction * 100, mb))
            }
        } else {
            let step = Int(mb / 10)
            guard step != lastStep else { return }
            lastStep = step
            emit(tty ? String(format: "\r%@ %.1f MB", label, mb) : String(format: "%@: %.1f MB\n", label, mb))
            drew = tty
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if drew { emit("\n"); drew = false }
    }

    private func emit(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
