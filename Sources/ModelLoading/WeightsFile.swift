// Where a model's weights come from: a file given by path, or a zoo name whose file is in the
// local cache (`vision zoo download NAME` puts it there). Nothing here touches the network.

import Checkpoints
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

    /// The zoo entry these weights are: the one named, else the one whose file name the path ends
    /// with (`…/googlenet-1378be20.pth`, torchvision's names carry the hash prefix) when it is for
    /// `architecture` (any, when nil).
    public func identifiedZooEntry(architecture: String? = nil) -> ZooEntry? {
        if let zooEntry { return zooEntry }
        guard let entry = Zoo.entry(fileName: URL(fileURLWithPath: path).lastPathComponent) else { return nil }
        return architecture == nil || entry.architecture == architecture ? entry : nil
    }

    /// Whether a model of `architecture` loading these weights must run with torchvision's
    /// `transform_input`: as the file's metadata records (`transform_input`), else as the zoo entry
    /// the weights are (googlenet's and inception_v3's: yes, as torchvision's builders set it).
    public func transformInput(architecture: String, metadata: ModelMetadata) -> Bool {
        metadata.transformInput ?? identifiedZooEntry(architecture: architecture)?.transformInput ?? false
    }

    /// `transformInput(architecture:metadata:)` for a file given by path.
    public static func transformInput(path: String, architecture: String, metadata: ModelMetadata) -> Bool {
        WeightsFile(path: path, zooEntry: nil).transformInput(architecture: architecture, metadata: metadata)
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
