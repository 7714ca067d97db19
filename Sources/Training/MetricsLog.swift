// The per-epoch metrics file: JSON Lines, one `EpochMetrics` object per line. The checkpoint is the
// record: the trainer writes an epoch's line only after that epoch's checkpoint is on disk, and the
// first write of every run (fresh or resumed) replaces the whole file, atomically, by the lines of
// the checkpoint's history; later epochs append. So a kill at any moment, or a full disk, leaves at
// worst a file one line short of the checkpoint, which the next run rewrites. Keys are snake_case:
//   {"epoch":1,"images_per_s":812.5,"lr":0.01,"seconds":74.2,"skipped_samples":0,
//    "train_acc":0.81,"train_loss":0.52,"val_acc1":0.86,"val_acc5":0.99,"val_loss":0.39}

import Files
import Foundation

/// Appends `EpochMetrics` to a JSON Lines file.
public struct MetricsLog: Sendable {
    /// The file.
    public let path: String

    /// A log at `path`; throws `TrainingError.outputNotWritable` when its directory cannot take it.
    public init(path: String) throws {
        try OutputProbe.checkWritable(path)
        self.path = path
    }

    /// Appends one line.
    public func append(_ metrics: EpochMetrics) throws {
        let line = try Self.encode(metrics) + "\n"
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw TrainingError.outputNotWritable(path: path, reason: "cannot create the metrics file")
            }
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
        } catch {
            throw TrainingError.outputNotWritable(path: path, reason: "cannot append metrics: \(error.localizedDescription)")
        }
    }

    /// Replaces the file, atomically, by one line per entry of `history` (removing first the
    /// temporaries of earlier writers that were killed).
    public func rewrite(_ history: [EpochMetrics]) throws {
        AtomicFile.removeStaleTemporaries(of: path)
        let text = try history.map { try Self.encode($0) + "\n" }.joined()
        do throws(FileError) {
            try writeAtomically(Array(text.utf8), to: path)
        } catch {
            throw TrainingError.outputNotWritable(path: path, reason: "cannot write the metrics: \(error.reason)")
        }
    }

    /// The lines of epochs 1 … `epoch` this file holds, the last one of each epoch (a run that
    /// appended an epoch's line before its checkpoint and was killed wrote that epoch twice), in
    /// epoch order; lines of later epochs and lines that do not parse (cut short by a kill) are
    /// dropped. For resuming a checkpoint that does not carry its history.
    public func lines(through epoch: Int) -> [EpochMetrics] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var byEpoch: [Int: EpochMetrics] = [:]
        for line in text.split(separator: "\n") {
            guard let m = try? JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8)), m.epoch >= 1, m.epoch <= epoch else {
                continue
            }
            byEpoch[m.epoch] = m
        }
        return byEpoch.keys.sorted().compactMap { byEpoch[$0] }
    }

    /// One line of JSON with sorted keys.
    public static func encode(_ metrics: EpochMetrics) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(metrics), as: UTF8.self)
    }

    /// Reads every line back (for tests and reports).
    public static func read(_ path: String) throws -> [EpochMetrics] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
    }
}
