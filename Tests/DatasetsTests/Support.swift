// Fixtures written by Scripts/make_dataset_fixtures.py (torchvision's answers in expected.json),
// temporary directories, and small in-memory datasets for the DataLoader tests.
import Datasets
import Foundation
import Synchronization
import Tensors
import TestSupport

enum Fixtures: FixtureFolder {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    nonisolated(unsafe) static let expected: [String: Any] = jsonObject("expected.json")

    static func section(_ keys: String...) -> [String: Any] {
        var d = expected
        for k in keys { d = d[k] as! [String: Any] }
        return d
    }

    /// The repository's Datasets/ folder (not copied into the bundle).
    static let repositoryDatasets: URL = repositoryRoot.appendingPathComponent("Datasets")
}

/// Checks a tensor against a digest from the fixture script: shape, exact bytes, sampled values.
func matchesDigest(_ t: Tensor, _ d: [String: Any]) -> Bool {
    guard t.shape == d["shape"] as! [Int] else { return false }
    let values = t.scalars
    for pair in d["some"] as! [[NSNumber]] where values[pair[0].intValue] != pair[1].floatValue { return false }
    return fnv1a64(t) == d["fnv"] as! String
}

/// A fresh temporary directory, removed by `cleanup`.
struct TempDir {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Creates `rel` (and its parent folders) with `bytes`; returns the full path.
    @discardableResult
    func file(_ rel: String, _ bytes: [UInt8] = []) -> String {
        let p = path + "/" + rel
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    @discardableResult
    func directory(_ rel: String) -> String {
        let p = path + "/" + rel
        try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    func copy(_ from: String, to rel: String) {
        let p = path + "/" + rel
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! FileManager.default.copyItem(atPath: from, toPath: p)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// An in-memory dataset whose sample i is [i, u1, u2, i % 3] (u drawn from the sample's generator)
/// with label i % 3. Samples in `failing` throw an error naming "file<i>.png"; `delay` makes some
/// samples slow so that workers finish out of order; `started` counts samples begun.
struct SyntheticDataset: Dataset {
    let count: Int
    var failing: Set<Int> = []
    var delay = false
    let started = Counter()
    var classes: [String] { ["zero", "one", "two"] }

    func sample(at index: Int, using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int) {
        started.increment()
        if delay { usleep(UInt32((index * 7919) % 5) * 300) }
        if failing.contains(index) {
            throw DatasetError(.sample, path: "file\(index).png", "file\(index).png: cannot decode")
        }
        return (Tensor(shape: [1, 2, 2], data: [Float(index), rng.nextUniform(), rng.nextUniform(), Float(index % 3)]), index % 3)
    }
}

final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Every batch of a stream (throws what the stream throws).
func drain(_ stream: any BatchStream) throws -> [Batch] {
    var out: [Batch] = []
    while let b = try stream.next() { out.append(b) }
    return out
}

/// Whether two batch lists are identical: indices, labels, shapes and every float bit.
func sameBatches(_ a: [Batch], _ b: [Batch]) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        guard x.indices == y.indices, x.labels == y.labels, x.images.shape == y.images.shape,
              x.images.scalars.map(\.bitPattern) == y.images.scalars.map(\.bitPattern) else { return false }
    }
    return true
}
