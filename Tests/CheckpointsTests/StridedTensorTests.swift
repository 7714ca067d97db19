import Foundation
import XCTest
import Checkpoints

/// Hand-built legacy-format files with one tensor: strides and offsets are honoured, and views
/// that leave their storage or expand without bound are rejected before anything is allocated.
final class StridedTensorTests: XCTestCase {
    /// A pickled int (LONG1, 8 bytes).
    private func int(_ v: Int) -> [UInt8] { [0x8a, 8] + withUnsafeBytes(of: Int64(v).littleEndian, Array.init) }
    private func str(_ s: String) -> [UInt8] { [0x58] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8) }
    private func tuple(_ items: [Int]) -> [UInt8] { [0x28] + items.flatMap(int) + [0x74] }

    /// A legacy torch.save file holding {"w": tensor(storage of `data`, offset, shape, strides)}.
    private func file(data: [Float], declared: Int? = nil, offset: Int, shape: [Int], strides: [Int]) -> [UInt8] {
        let orderedDict = Array("ccollections\nOrderedDict\n".utf8) + [0x29, 0x52]
        let pid = [0x28] + str("storage") + Array("ctorch\nFloatStorage\n".utf8) + str("0") + str("cpu") + int(declared ?? data.count) + [0x4e, 0x74]
        let object: [UInt8] = [0x80, 0x02] + orderedDict + str("w") + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8)
            + [0x28] + pid + [0x51] + int(offset) + tuple(shape) + tuple(strides) + [0x89] + orderedDict + [0x74, 0x52]
            + [0x73, 0x2e]
        let header: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
                               0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e, 0x80, 0x02, 0x7d, 0x2e]
        let keys: [UInt8] = [0x80, 0x02, 0x5d] + str("0") + [0x61, 0x2e]
        let storage = withUnsafeBytes(of: Int64(declared ?? data.count).littleEndian, Array.init) + data.withUnsafeBytes(Array.init)
        return header + object + keys + storage
    }

    func testTransposedView() throws {
        let d = try loadCheckpoint(bytes: file(data: [0, 1, 2, 3, 4, 5], offset: 0, shape: [3, 2], strides: [1, 3]))
        XCTAssertEqual(d["w"]?.shape, [3, 2])
        XCTAssertEqual(d["w"]?.scalars, [0, 3, 1, 4, 2, 5])
    }

    func testOffsetAndSteps() throws {
        let data = (0..<24).map(Float.init)
        // Element (i, j, k) is 6 + 12i + j + 4k; the last one, 23, is the storage's last.
        let d = try loadCheckpoint(bytes: file(data: data, offset: 6, shape: [2, 2, 2], strides: [12, 1, 4]))
        XCTAssertEqual(d["w"]?.scalars, [6, 10, 7, 11, 18, 22, 19, 23])
    }

    func testViewPastTheEndOfItsStorage() {
        assertRejects("reaches element 6 of a 6-element storage") {
            _ = try loadCheckpoint(bytes: self.file(data: [0, 1, 2, 3, 4, 5], offset: 5, shape: [2], strides: [1]))
        }
    }

    func testNegativeStride() {
        assertRejects("negative size or stride") {
            _ = try loadCheckpoint(bytes: self.file(data: [0, 1, 2], offset: 2, shape: [3], strides: [-1]))
        }
    }

    func testExpandedTensorBomb() {
        // One float, viewed as 2^20 x 2^20 with zero strides: 4 TiB if materialized.
        assertRejects("more elements than the file can hold") {
            _ = try loadCheckpoint(bytes: self.file(data: [1], offset: 0, shape: [1 << 20, 1 << 20], strides: [0, 0]))
        }
    }

    func testShapeOverflow() {
        assertRejects("overflows") {
            _ = try loadCheckpoint(bytes: self.file(data: [1], offset: 0, shape: [1 << 62, 8], strides: [0, 0]))
        }
    }

    func testStorageCountDisagreesWithTheData() {
        assertRejects("storage 0 (4000 bytes)") {
            _ = try loadCheckpoint(bytes: self.file(data: [1, 2], declared: 1000, offset: 0, shape: [2], strides: [1]))
        }
    }
}
