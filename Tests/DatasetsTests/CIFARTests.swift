// CIFAR-10 from binary batches and from python pickles (Python 2's layout, and Python 3's with
// protocols 2-5) against torchvision's CIFAR10 on the same records.
import Datasets
import Foundation
import ImageIO
import Tensors
import TestSupport
import Testing
import Transforms

@Suite struct CIFARTests {
    @Test(arguments: [true, false], [CIFARFormat.binary, .python])
    func samplesMatchTorchvision(train: Bool, format: CIFARFormat) throws {
        let e = Fixtures.section("cifar", train ? "train" : "test")
        let dir = Fixtures.path(format == .binary ? "cifar/bin" : "cifar/py")
        let plain = try CIFAR10(directory: dir, train: train, format: format)
        let normalized = try CIFAR10(directory: dir, train: train, normalize: true)  // format found automatically
        #expect(plain.count == e["count"] as! Int)
        #expect(plain.classes == e["classes"] as! [String])
        #expect(plain.targets == e["targets"] as! [Int])
        var rng = RandomGenerator(seed: 0)
        for (k, pick) in (e["picks"] as! [Int]).enumerated() {
            #expect(matchesDigest(try plain.sample(at: pick, using: &rng).image, (e["plain"] as! [[String: Any]])[k]))
            #expect(matchesDigest(try normalized.sample(at: pick, using: &rng).image, (e["normalized"] as! [[String: Any]])[k]))
        }
        // torchvision's `data` is HWC: our image(at:) is the same layout.
        #expect(fnv1a64(plain.image(at: 0).pixels) == e["hwc_first"] as! String)
    }

    @Test func parentDirectoryLayoutsAreFound() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        for name in ["test_batch", "batches.meta"] { tmp.copy(Fixtures.path("cifar/py/" + name), to: "cifar-10-batches-py/" + name) }
        let data = try CIFAR10(directory: tmp.path, train: false)
        #expect(data.targets == Fixtures.section("cifar", "test")["targets"] as! [Int])
        let e = #expect(throws: DatasetError.self) { try CIFAR10(directory: tmp.path, train: false, format: .binary) }
        #expect(e?.description == "\(tmp.path): no CIFAR-10 binary batches (data_batch_1.bin, test_batch.bin) here or in cifar-10-batches-bin/-py")
    }

    @Test func directPathEqualsPerSamplePath() throws {
        let data = try CIFAR10(directory: Fixtures.path("cifar/bin"), normalize: true)
        #expect(data.directSampleShape == [3, 32, 32])
        let indices = [14, 2, 2, 9]
        var out = [Float](repeating: .nan, count: indices.count * 3072)
        let labels = try out.withUnsafeMutableBufferPointer { try data.writeSamples(indices, into: $0) }
        var rng = RandomGenerator(seed: 0)
        let expected = try indices.flatMap { try data.sample(at: $0, using: &rng).image.scalars }
        #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(labels == indices.map { data.targets[$0] })
    }

    @Test func transformsSeeAnRGBImage() throws {
        var data = try CIFAR10(directory: Fixtures.path("cifar/bin"), train: false)
        data.transform = Pipeline(image: [RandomHorizontalFlip(p: 1), CenterCrop(24)])
        var rng = RandomGenerator(seed: 0)
        let t = try data.sample(at: 1, using: &rng).image
        #expect(t.shape == [3, 24, 24])
        #expect(t.scalars == toTensor(data.image(at: 1).flippedHorizontally().centerCropped(height: 24, width: 24)).scalars)
    }

    @Test func maliciousPickleIsRefusedAndNothingRuns() {
        let marker = "/tmp/swiftvision_pwned"
        unlink(marker)
        let dir = Fixtures.path("cifar/evil")
        let e = #expect(throws: DatasetError.self) { try CIFAR10(directory: dir, train: false) }
        #expect(e?.kind == .corrupt)
        #expect(e?.description.hasPrefix("\(dir)/test_batch: pickle: GLOBAL posix.system is not allowed") == true)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func badBinaryBatches() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        tmp.copy(Fixtures.path("cifar/bin/batches.meta.txt"), to: "batches.meta.txt")
        let record = [UInt8](repeating: 3, count: 3073)
        tmp.file("test_batch.bin", record + [1, 2, 3])
        let size = #expect(throws: DatasetError.self) { try CIFAR10(directory: tmp.path, train: false) }
        #expect(size?.description == "\(tmp.path)/test_batch.bin: 3076 bytes is not a whole number of 3073-byte records")
        tmp.file("test_batch.bin", record + [10] + record.dropFirst())
        let label = #expect(throws: DatasetError.self) { try CIFAR10(directory: tmp.path, train: false) }
        #expect(label?.description == "\(tmp.path)/test_batch.bin: label 10 of record 1 is not a class index (10 classes)")
        tmp.file("test_batch.bin", record)
        let missing = #expect(throws: DatasetError.self) { try CIFAR10(directory: tmp.path, train: true, format: .binary) }
        #expect(missing?.description == "\(tmp.path)/data_batch_1.bin: CIFAR-10 batch file not found")
        #expect(try CIFAR10(directory: tmp.path, train: false).count == 1)
    }

    @Test func pickleWithoutData() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        tmp.copy(Fixtures.path("cifar/py/batches.meta"), to: "batches.meta")
        // {'labels': [1]} pickled with protocol 2: no 'data' array.
        tmp.file("test_batch", [0x80, 0x02, 0x7D, 0x71, 0x00, 0x55, 0x06] + Array("labels".utf8) + [0x5D, 0x4B, 0x01, 0x61, 0x73, 0x2E])
        let e = #expect(throws: DatasetError.self) { try CIFAR10(directory: tmp.path, train: false) }
        #expect(e?.description == "\(tmp.path)/test_batch: no 'data' numpy array in the batch (found nothing)")
    }
}
