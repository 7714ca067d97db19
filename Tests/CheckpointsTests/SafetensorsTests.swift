import Foundation
import XCTest
import Checkpoints
import Pickle
import Tensors

final class SafetensorsTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "ckpt-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func testRoundTripKeepsOrderDTypesAndMetadata() throws {
        var d = StateDict()
        d["z.first"] = Tensor(shape: [2, 3], data: [1, -2.5, 3, 0.125, 1e-8, -0])
        d.set("half", Tensor([0.1, 65504, -3, 6e-8]), dtype: .float16)
        d.set("bf16", Tensor([0.1, 1e30, -3]), dtype: .bfloat16)
        d.set("double", Tensor([0.1, -7]), dtype: .float64)
        d.set("steps", Tensor(scalar: 1234), dtype: .int64)
        d.set("i32", Tensor([-5, 7]), dtype: .int32)
        d.set("bytes", Tensor([0, 200, 255]), dtype: .uint8)
        d.set("flags", Tensor([1, 0]), dtype: .bool)
        d["a.empty"] = Tensor(uninitializedShape: [0, 4])
        let meta = ModelMetadata(architecture: "resnet18", numClasses: 3, classNames: ["cat", "dog \"big\"", "émeu"], preprocessing: "imagenet-classification")
        let path = directory + "/model.safetensors"
        try saveSafetensors(d, metadata: meta.map, to: path)

        let back = try loadCheckpoint(path)
        XCTAssertEqual(back.keys, d.keys)
        XCTAssertEqual(back.entries.map(\.dtype), d.entries.map(\.dtype))
        XCTAssertEqual(ModelMetadata(back.metadata), meta)
        XCTAssertEqual(back["z.first"]?.scalars.map(\.bitPattern), d["z.first"]?.scalars.map(\.bitPattern))
        XCTAssertEqual(back["half"]?.scalars, [0.099975586, 65504, -3, 5.9604645e-08])
        XCTAssertEqual(back["bf16"]?.scalars, [Float(bitPattern: 0x3DCD_0000), Float(bitPattern: 0x714A_0000), -3])
        XCTAssertEqual(back["double"]?.scalars, [0.1, -7])
        XCTAssertEqual(back["steps"]?.scalars, [1234])
        XCTAssertEqual(back["steps"]?.shape, [])
        XCTAssertEqual(back["i32"]?.scalars, [-5, 7])
        XCTAssertEqual(back["bytes"]?.scalars, [0, 200, 255])
        XCTAssertEqual(back["flags"]?.scalars, [1, 0])
        XCTAssertEqual(back["a.empty"]?.shape, [0, 4])
        // Header: 8-byte aligned, as the reference writer does.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
        // No temporary file left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
    }

    func testReferenceFileRoundTripsBitExactly() throws {
        let original = try loadCheckpoint(Fixtures.path("cnn.safetensors"))
        let path = directory + "/copy.safetensors"
        try saveSafetensors(original, to: path)
        let copy = try loadCheckpoint(path)
        XCTAssertEqual(copy.keys, original.keys)
        XCTAssertEqual(copy.metadata, original.metadata)
        for e in original.entries {
            XCTAssertEqual(copy.dtype(of: e.name), e.dtype)
            XCTAssertEqual(copy[e.name]?.scalars.map(\.bitPattern), e.tensor.scalars.map(\.bitPattern), e.name)
        }
        // Converting a .pth keeps num_batches_tracked an integer.
        let pth = try loadCheckpoint(Fixtures.path("cnn_zip.pth"))
        try saveSafetensors(pth, to: path)
        XCTAssertEqual(try loadCheckpoint(path).dtype(of: "bn1.num_batches_tracked"), .int64)
    }

    func testModelMetadataMap() {
        let m = ModelMetadata(architecture: "vgg16", numClasses: 2, classNames: ["a,b", "\u{1F600}\n"], preprocessing: "imagenet")
        XCTAssertEqual(m.map["num_classes"], "2")
        XCTAssertEqual(ModelMetadata(m.map), m)
        let bad = ModelMetadata(["architecture": "x", "num_classes": "two", "class_names": "[1, 2]"])
        XCTAssertEqual(bad, ModelMetadata(architecture: "x"))
    }

    func testOverwriteIsAtomicAndFailedWritesLeaveTheOldFile() throws {
        let path = directory + "/m.safetensors"
        try saveSafetensors(StateDict([("w", Tensor([1]))]), to: path)
        try saveSafetensors(StateDict([("w", Tensor([2]))]), to: path)
        XCTAssertEqual(try loadCheckpoint(path)["w"]?.scalars, [2])
        // A tensor named __metadata__ is refused before anything is written.
        XCTAssertThrowsError(try saveSafetensors(StateDict([("__metadata__", Tensor([3]))]), to: path))
        XCTAssertEqual(try loadCheckpoint(path)["w"]?.scalars, [2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["m.safetensors"])
        // An unwritable destination is an error naming it.
        assertRejects("cannot create") { try saveSafetensors(StateDict(), to: "/nonexistent-dir/x.safetensors") }
    }

    /// A safetensors file from a header string and a data section.
    private func file(_ header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
    }

    func testHeaderValidation() {
        let f32 = [UInt8](repeating: 0, count: 8)
        // Valid: two F32 scalars tiling 8 bytes, in either key order.
        XCTAssertNoThrow(try loadCheckpoint(bytes: file(#"{"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32)))
        XCTAssertEqual(try loadCheckpoint(bytes: file(#"{"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32)).keys, ["a", "b"])
        assertRejects("gaps and overlaps") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: f32))
        }
        assertRejects("gaps and overlaps") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: f32))
        }
        assertRejects("needs 8 bytes, offsets give 4") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        }
        assertRejects("the data section has 8") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32))
        }
        assertRejects("overflows") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: f32))
        }
        assertRejects("unsupported dtype F8_E4M3") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}"#, data: f32))
        }
        assertRejects("duplicate key") {
            _ = try loadCheckpoint(bytes: self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: f32))
        }
        assertRejects("metadata value for k is not a string") {
            _ = try loadCheckpoint(bytes: self.file(#"{"__metadata__":{"k":1}}"#, data: []))
        }
        // \u escapes take exactly four hex digits: a sign is an error, not a trap (found by Scripts/fuzz json).
        for escape in [#"\u-a0a"#, #"\u+a0a"#, #"\u 12a"#, #"\u12"#] {
            assertRejects("bad \\u escape") {
                _ = try loadCheckpoint(bytes: self.file(#"{"__metadata__":{"k":"x"# + escape + #""}}"#, data: []))
            }
        }
        XCTAssertEqual(try loadCheckpoint(bytes: file(#"{"__metadata__":{"k":"\u00e9\uD83D\uDE00"}}"#, data: [])).metadata["k"], "é😀")
        // Header length larger than the reference's 100 MB limit, and one past the end of the file.
        var huge = withUnsafeBytes(of: UInt64(200_000_000).littleEndian, Array.init) + Array("{}".utf8)
        assertRejects("unrecognised format") { _ = try loadCheckpoint(bytes: huge) }
        huge = withUnsafeBytes(of: UInt64(100_000_001).littleEndian, Array.init) + Array("{".utf8) + [UInt8](repeating: 0x20, count: 100_000_000)
        assertRejects("larger than 100000000") { _ = try loadCheckpoint(bytes: huge) }
    }

    func testHalfAndBFloat16ConversionsAreExact() throws {
        // Every half and every bfloat16 bit pattern: load (→ Float32), save back, same bytes.
        var data: [UInt8] = []
        for bits in 0...UInt16.max { data += [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
        for (dtype, name) in [(DType.float16, "F16"), (DType.bfloat16, "BF16")] {
            let header = "{\"all\":{\"dtype\":\"\(name)\",\"shape\":[65536],\"data_offsets\":[0,131072]}}"
            let dict = try loadCheckpoint(bytes: file(header, data: data))
            XCTAssertEqual(dict.dtype(of: "all"), dtype)
            let values = try XCTUnwrap(dict["all"]).scalars
            if dtype == .float16 {
                XCTAssertEqual(values[0x3C00], 1)
                XCTAssertEqual(values[0x0001], 0x1p-24)  // smallest subnormal
                XCTAssertEqual(values[0x7BFF], 65504)
                XCTAssertEqual(values[0xFC00], -.infinity)
            } else {
                XCTAssertEqual(values[0x3F80], 1)
                XCTAssertEqual(values[0xC040], -3)
            }
            let path = directory + "/\(name).safetensors"
            try saveSafetensors(dict, to: path)
            let written = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let back = Array(written.suffix(data.count))
            var mismatches = 0
            for i in 0..<65536 where back[2 * i] != data[2 * i] || back[2 * i + 1] != data[2 * i + 1] {
                let v = values[i]
                if !v.isNaN { mismatches += 1 }  // NaN payloads may be quieted
            }
            XCTAssertEqual(mismatches, 0, name)
        }
        // Rounding of values that are not representable: to nearest, ties to even.
        var d = StateDict()
        d.set("h", Tensor([65520, 1 + 0x1p-11, 1 + 0x1p-11 + 0x1p-20, 0x1p-25, 0x1.8p-24]), dtype: .float16)
        d.set("b", Tensor([1 + 0x1p-8, 1 + 0x1p-8 + 0x1p-20]), dtype: .bfloat16)
        let path = directory + "/round.safetensors"
        try saveSafetensors(d, to: path)
        let back = try loadCheckpoint(path)
        XCTAssertEqual(back["h"]?.scalars, [.infinity, 1, 1 + 0x1p-10, 0, 0x1p-23])
        XCTAssertEqual(back["b"]?.scalars, [1, 1 + 0x1p-7])
    }
}
