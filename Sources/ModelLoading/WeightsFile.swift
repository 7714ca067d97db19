// Where a model's weights come from: a file given by path, or a zoo name whose file is in the
// local cache (`vision zoo download NAME` puts it there). Nothing here touches the network.

import Foundation
import Models

/// A weights file located from a path or a zoo name.
public struct WeightsFile: Sendable, Equatable {
    /// The file to read.
    public let path: String
    /// The zoo entry when the weights were named by zoo name.
    public let zooEntry: ZooEntry?

    /// `nameOrPath` as an existing file, else as a zoo name whose file is cached in `cache`.
    /// - Parameter option: how the caller names the argument in errors (e.g. `--pretrained`).
    /// - Throws: `ModelLoadingError` when it is neither an existing file nor a zoo name, or when
    ///   the zoo file is not cached (the message says which command fetches it).
    public init(_ nameOrPath: String, cache: ZooCache = .current, option: String? = nil) throws {
        if FileManager.default.fileExists(atPath: nameOrPath) {
            self.init(path: nameOrPath, zooEntry: nil)
            return
        }
        guard let entry = Zoo.entry(named: nameOrPath) else {
            throw ModelLoadingError((option.map { "\($0) " } ?? "") + "\(nameOrPath): no such file, and not a zoo name "
                + "(zoo names: \(Zoo.names.joined(separator: ", ")))")
        }
        try self.init(cached: entry, cache: cache)
    }

    /// The cached file of a zoo entry.
    /// - Throws: `ModelLoadingError` when the file is not in `cache`.
    public init(cached entry: ZooEntry, cache: ZooCache = .current) throws {
        self.init(path: try Self.requireCached(entry, cache), zooEntry: entry)
    }

    private init(path: String, zooEntry: ZooEntry?) {
        self.path = path
        self.zooEntry = zooEntry
    }

    private static func requireCached(_ entry: ZooEntry, _ cache: ZooCache) throws -> String {
        guard cache.isCached(entry) else {
            throw ModelLoadingError("weights '\(entry.name)' are not in the cache (\(cache.path(for: entry))); run `vision zoo download \(entry.name)`")
        }
        return cache.path(for: entry)
    }
}
