// Reading fixture files. Resources belong to one test target (`Bundle.module`), so each target
// names its own folder and gets the readers:
//     enum Fixtures: FixtureFolder { static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

import Foundation
import Tensors

/// A folder of fixture files; `root` is the target's bundled Fixtures folder.
public protocol FixtureFolder {
    static var root: URL { get }
}

extension FixtureFolder {
    public static func url(_ rel: String) -> URL { root.appendingPathComponent(rel) }

    public static func path(_ rel: String) -> String { url(rel).path }

    /// A file's bytes (uint8 samples, a whole image file, a checkpoint).
    public static func bytes(_ rel: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(rel))) }

    /// A file of raw float32 values in the machine's byte order (little-endian on every supported machine).
    public static func floats(_ rel: String) throws -> [Float] {
        try bytes(rel).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// A JSON file whose top level is an object (a fixture that is missing or malformed stops the run).
    public static func jsonObject(_ rel: String) -> [String: Any] {
        let data = try! Data(contentsOf: url(rel))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A JSON file decoded as `T` (a fixture that is missing or malformed stops the run).
    public static func decode<T: Decodable>(_ type: T.Type, _ rel: String) -> T {
        try! JSONDecoder().decode(T.self, from: Data(contentsOf: url(rel)))
    }
}

/// The repository's root folder, for files no bundle copies (Datasets/, the sample photos).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A tensor in a JSON fixture: its shape and its values in row-major order.
public struct TensorData: Decodable, Sendable {
    public let shape: [Int]
    public let data: [Float]
    public var tensor: Tensor { Tensor(shape: shape, data: data) }
}
