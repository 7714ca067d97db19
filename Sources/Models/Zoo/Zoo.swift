// The model zoo registry: look-ups by name over the generated manifest (ZooData+Generated.swift).

/// The torchvision model zoo: pretrained weights by name (`resnet18`, `resnet50_v2`, ...).
public enum Zoo {
    /// Entry names, in manifest order.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`, or nil.
    public static func entry(named name: String) -> ZooEntry? { entries.first { $0.name == name } }

    /// The entry whose file is called `fileName` (e.g. `googlenet-1378be20.pth`), or nil.
    public static func entry(fileName: String) -> ZooEntry? { entries.first { $0.fileName == fileName } }

    /// The entry called `name`, or throws an error listing the known names.
    public static func entry(_ name: String) throws -> ZooEntry {
        guard let e = entry(named: name) else { throw UnknownZooEntry(name: name) }
        return e
    }
}

/// A zoo name that is not in the manifest.
public struct UnknownZooEntry: Error, CustomStringConvertible, Sendable {
    public let name: String
    public var description: String {
        "unknown zoo entry '\(name)'; known entries: \(Zoo.names.joined(separator: ", "))"
    }
}
