// Loading the Pillow/torchvision fixtures written by Scripts/make_image_fixtures.py.
import Foundation
import ImageIO
import XCTest

enum Fixtures {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func path(_ rel: String) -> String { root.appendingPathComponent(rel).path }

    static func bytes(_ rel: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(rel)))
    }

    /// The repository's Datasets/samples folder (real photos, not copied into the bundle).
    static let samples: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Datasets/samples")

    nonisolated(unsafe) static let manifest: [String: Any] = {
        let data = try! Data(contentsOf: root.appendingPathComponent("manifest.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func cases(_ key: String) -> [[String: Any]] { manifest[key] as! [[String: Any]] }
}

/// FNV-1a 64-bit hash as hex (matches the fixture script).
func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Largest absolute difference between two sample arrays (Int.max if the sizes differ).
func maxAbsDiff(_ a: [UInt8], _ b: [UInt8]) -> Int {
    guard a.count == b.count else { return Int.max }
    var m = 0
    for i in a.indices { m = max(m, abs(Int(a[i]) - Int(b[i]))) }
    return m
}
