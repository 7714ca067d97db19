// Where downloaded weights live: `$VISION_HOME/checkpoints/`, or `~/.cache/swiftvision/checkpoints/`.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The local cache of zoo weights.
public struct ZooCache: Sendable, Equatable {
    /// The cache root (`$VISION_HOME`, or `$HOME/.cache/swiftvision`).
    public var root: String

    /// A cache rooted at `root`.
    public init(root: String) { self.root = root }

    /// The cache the environment selects: `VISION_HOME` if set and non-empty, else
    /// `$HOME/.cache/swiftvision` (or `/tmp/swiftvision-cache` without a home directory).
    public init(environment: [String: String]) {
        if let home = environment["VISION_HOME"], !home.isEmpty {
            root = home
        } else if let home = environment["HOME"], !home.isEmpty {
            root = home + "/.cache/swiftvision"
        } else {
            root = "/tmp/swiftvision-cache"
        }
    }

    /// The cache this process's environment selects.
    public static var current: ZooCache { ZooCache(environment: processEnvironment()) }

    /// The directory holding checkpoint files.
    public var checkpointsDirectory: String { root + "/checkpoints" }

    /// Where `entry`'s file lives (whether or not it is there).
    public func path(for entry: ZooEntry) -> String { checkpointsDirectory + "/" + entry.fileName }

    /// Whether `entry`'s file is in the cache.
    public func isCached(_ entry: ZooEntry) -> Bool {
        var st = stat()
        return stat(path(for: entry), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Creates the checkpoints directory and its parents if needed.
    public func createDirectories() throws {
        do {
            try FileManager.default.createDirectory(atPath: checkpointsDirectory, withIntermediateDirectories: true)
        } catch {
            throw ZooDownloadError("cannot create cache directory \(checkpointsDirectory): \(error.localizedDescription)")
        }
    }

    private static func processEnvironment() -> [String: String] { ProcessInfo.processInfo.environment }
}
