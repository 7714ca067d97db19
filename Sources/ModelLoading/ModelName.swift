// A model name as a user types it: a builder name (`resnet18`, `vgg16_bn`) or a zoo weights name
// (`resnet50_v2`), which also selects its preprocessing and categories.

import Models

/// An architecture name as the user gave it: a builder name or a zoo name.
public struct ModelName: Sendable, Equatable {
    /// The builder name for `Architectures.build` (for a zoo name, the architecture its weights fit).
    public let architecture: String
    /// The zoo entry when the name is a zoo name.
    public let zooEntry: ZooEntry?

    /// Resolves `name`, zoo names first (`resnet18` is both; its zoo entry is the default weights).
    /// - Throws: `ModelLoadingError` listing the known architectures and zoo names.
    public init(_ name: String) throws {
        if let entry = Zoo.entry(named: name) {
            architecture = entry.architecture; zooEntry = entry
        } else if Architectures.names.contains(name) {
            architecture = name; zooEntry = nil
        } else {
            throw ModelLoadingError("unknown model '\(name)'; architectures: \(Architectures.names.joined(separator: ", ")); "
                + "zoo names: \(Zoo.names.joined(separator: ", "))")
        }
    }
}
