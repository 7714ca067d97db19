import Foundation
import XCTest
import Checkpoints
import Tensors

/// Every fixture written by torch.save (and the safetensors package) loads with identical
/// names, order, dtypes, shapes and values.
final class FixtureTests: XCTestCase {
    func testZipCheckpoint() throws {
        let dict = try loadCheckpoint(Fixtures.path("cnn_zip.pth"))
        XCTAssertEqual(dict.format, .torchZip)
        XCTAssertEqual(dict.notes, [])
        assertMatches(dict, Fixtures.expectedTensors("cnn_zip.pth"))
        // Spot checks that do not depend on expected.json.
        XCTAssertEqual(dict.dtype(of: "bn1.num_batches_tracked"), .int64)
        XCTAssertEqual(dict["bn1.num_batches_tracked"]?.scalars, [2])
        XCTAssertEqual(dict["extra.offset"]?.scalars, [5, 6, 7, 8, 9, 10])
        XCTAssertEqual(dict["extra.strided"]?.scalars, [1, 3, 5, 13, 15, 17])
        XCTAssertEqual(dict["extra.scalar"]?.shape, [])
        XCTAssertEqual(dict["extra.empty"]?.shape, [0, 3])
        // The transposed view shares fc.weight's storage: it must be fc.weight transposed.
        let w = try XCTUnwrap(dict["fc.weight"]), t = try XCTUnwrap(dict["extra.transposed"])
        XCTAssertEqual(w.shape, [5, 6])
        XCTAssertEqual(t.shape, [6, 5])
        let ws = w.scalars, ts = t.scalars
        for i in 0..<5 { for j in 0..<6 { XCTAssertEqual(ts[j * 5 + i], ws[i * 6 + j]) } }
    }

    func testLegacyCheckpoint() throws {
        let dict = try loadCheckpoint(Fixtures.path("cnn_legacy.pth"))
        XCTAssertEqual(dict.format, .torchLegacy)
        assertMatches(dict, Fixtures.expectedTensors("cnn_legacy.pth"))
    }

    func testTrainingCheckpointPicksTheModel() throws {
        let dict = try loadCheckpoint(Fixtures.path("train_checkpoint.pth"))
        assertMatches(dict, Fixtures.expectedTensors("train_checkpoint.pth"))
        XCTAssertEqual(dict.notes.count, 1)
        XCTAssertTrue(dict.notes[0].contains("'model'"), dict.notes[0])
        XCTAssertTrue(dict.notes[0].contains("optimizer"), dict.notes[0])
    }

    func testDataParallelPrefixIsStripped() throws {
        let dict = try loadCheckpoint(Fixtures.path("dataparallel.pth"))
        assertMatches(dict, Fixtures.expectedTensors("dataparallel.pth"))
        XCTAssertTrue(dict.notes.contains { $0.contains("'state_dict'") }, "\(dict.notes)")
        XCTAssertTrue(dict.notes.contains { $0.contains("module.") }, "\(dict.notes)")
    }

    func testSafetensorsFromTheReferencePackage() throws {
        let dict = try loadCheckpoint(Fixtures.path("cnn.safetensors"))
        XCTAssertEqual(dict.format, .safetensors)
        assertMatches(dict, Fixtures.expectedTensors("cnn.safetensors"))
        XCTAssertEqual(dict.metadata, Fixtures.expected["cnn.safetensors.metadata"] as? [String: String])
    }

    func testLegacyZipWrappers() throws {
        for name in ["legacy_wrapper_stored.zip", "legacy_wrapper_deflated.zip"] {
            let dict = try loadCheckpoint(Fixtures.path(name))
            XCTAssertEqual(dict.format, .torchLegacy, name)
            XCTAssertTrue(dict.notes.first?.contains("wrapper") ?? false, "\(dict.notes)")
            assertMatches(dict, Fixtures.expectedTensors(name))
        }
    }

    func testTarCheckpoint() throws {
        let dict = try loadCheckpoint(Fixtures.path("cnn_tar.pth"))
        XCTAssertEqual(dict.format, .torchTar)
        assertMatches(dict, Fixtures.expectedTensors("cnn_tar.pth"))
    }

    func testDetectionIgnoresTheExtension() throws {
        // The zip checkpoint under a safetensors name, from memory: still a torch zip.
        let dict = try loadCheckpoint(bytes: try Fixtures.bytes("cnn_zip.pth"), name: "model.safetensors")
        XCTAssertEqual(dict.format, .torchZip)
        assertRejects("unrecognised format") { _ = try loadCheckpoint(bytes: Array("hello, world".utf8)) }
        assertRejects("empty") { _ = try loadCheckpoint(bytes: []) }
    }

    func testErrorsNameTheFile() {
        do {
            _ = try loadCheckpoint("/nonexistent/model.pth")
            XCTFail("expected an error")
        } catch let e as CheckpointError {
            XCTAssertEqual(e.path, "/nonexistent/model.pth")
            XCTAssertTrue(e.description.hasPrefix("/nonexistent/model.pth: cannot open"), e.description)
        } catch { XCTFail("\(error)") }
    }

    func testStateDictAPI() {
        var d = StateDict([("a", Tensor([1, 2])), ("b", Tensor([3]))])
        XCTAssertEqual(d.keys, ["a", "b"])
        d["c"] = Tensor([4])
        d.set("n", Tensor(scalar: 5), dtype: .int64)
        d["a"] = nil
        XCTAssertEqual(d.keys, ["b", "c", "n"])
        XCTAssertEqual(d.dtype(of: "n"), .int64)
        XCTAssertEqual(d.map(\.name), ["b", "c", "n"])
        XCTAssertEqual(d["c"]?.scalars, [4])
        XCTAssertNil(d["a"])
    }
}
