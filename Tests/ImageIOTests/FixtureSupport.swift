// The decoders' Pillow fixtures (png/, jpeg/ and their manifest.json), written by
// Scripts/make_image_fixtures.py.
import Foundation
import TestSupport

enum Fixtures: FixtureFolder {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// The repository's Datasets/samples folder (real photos, not copied into the bundle).
    static let samples: URL = repositoryRoot.appendingPathComponent("Datasets/samples")

    nonisolated(unsafe) static let manifest: [String: Any] = jsonObject("manifest.json")

    static func cases(_ key: String) -> [[String: Any]] { manifest[key] as! [[String: Any]] }
}
