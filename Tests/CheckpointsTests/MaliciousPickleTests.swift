import Foundation
import XCTest
import Checkpoints

/// Malicious pickles are rejected with a clear error and nothing executes. Each evil payload
/// would create /tmp/swiftvision_pwned if it ran.
final class MaliciousPickleTests: XCTestCase {
    let marker = "/tmp/swiftvision_pwned"

    override func setUp() { unlink(marker) }

    override func tearDown() {
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a payload executed")
    }

    func testGlobalOsSystemWithReduce() {
        assertRejects("GLOBAL posix.system is not allowed") { _ = try loadCheckpoint(Fixtures.path("evil_os_system.pth")) }
    }

    func testBuiltinsEval() {
        assertRejects("GLOBAL builtins.eval is not allowed") { _ = try loadCheckpoint(Fixtures.path("evil_eval.pth")) }
    }

    func testReduceOfAnArbitraryClass() {
        assertRejects("GLOBAL __main__.Exploit is not allowed") { _ = try loadCheckpoint(Fixtures.path("evil_reduce_class.pth")) }
    }

    func testStorageLargerThanTheFile() {
        assertRejects("storage 0 (4398046511104 bytes)") { _ = try loadCheckpoint(Fixtures.path("evil_big_storage.pth")) }
    }

    func testStackGlobalIsCheckedToo() {
        // Protocol 4: STACK_GLOBAL "os" "system", then REDUCE.
        let p: [UInt8] = [0x80, 0x04, 0x8c, 2] + Array("os".utf8) + [0x8c, 6] + Array("system".utf8) + [0x93, 0x8c, 2] + Array("id".utf8) + [0x85, 0x52, 0x2e]
        assertRejects("GLOBAL os.system is not allowed") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testReduceOnANonCallableIsRejected() {
        // A storage class is allowed as a value but cannot be called.
        let p: [UInt8] = [0x80, 0x02] + Array("ctorch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2e]
        assertRejects("REDUCE on torch.FloatStorage is not allowed") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testDeepNestingOfLists() {
        // 100 000 EMPTY_LISTs, then 100 000 APPENDs: lists nested 100 000 deep.
        let n = 100_000
        let p: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1) + [0x2e]
        assertRejects("nested deeper than") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testMarkBomb() {
        let p: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: 100_000) + [0x2e]
        assertRejects("nested MARKs") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testMemoReferenceOutOfRange() {
        let p: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x6A, 0x40, 0x42, 0x0F, 0x00, 0x2e]  // BINPUT 0, LONG_BINGET 1000000
        assertRejects("memo reference 1000000 was never stored") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testSelfContainingList() {
        let p: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2e]  // l = []; l.append(l)
        assertRejects("contains itself") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testSharedReferenceBomb() {
        // t0 = (); t(k+1) = (tk, tk) 90 times: 2^90 nodes if expanded, yet only 90 deep. Shared
        // containers are frozen once, so this is cheap, and it is not a state dict.
        var p: [UInt8] = [0x80, 0x02, 0x29, 0x71, 0x00]
        for _ in 0..<90 { p += [0x68, 0x00, 0x68, 0x00, 0x86, 0x71, 0x00] }
        p.append(0x2e)
        // (Expanding it would end in "too many nodes" instead.)
        assertRejects("holds a tuple, not a dict of tensors") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testSharedContainerCannotDeepenTheTree() {
        // root = [A, B]: A is 61 nested tuples (memoized), B wraps A in 60 more: 122 deep in all.
        var p: [UInt8] = [0x80, 0x02, 0x5D, 0x29] + [UInt8](repeating: 0x85, count: 60) + [0x71, 0x00, 0x61]
        p += [0x68, 0x00] + [UInt8](repeating: 0x85, count: 60) + [0x61, 0x2e]
        assertRejects("nested deeper than 100") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testValueFlood() {
        // One list, then 3 000 000 × (EMPTY_LIST, APPEND): millions of containers from 6 MB.
        var p: [UInt8] = [0x80, 0x02, 0x5D]
        p.reserveCapacity(6_000_010)
        for _ in 0..<3_000_000 { p += [0x5D, 0x61] }
        p.append(0x2e)
        assertRejects("more than 5000000 values") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testUnknownOpcodeIsRejected() {
        let p: [UInt8] = [0x80, 0x02] + Array("S'x'\n".utf8) + [0x2e]  // STRING (text protocol)
        assertRejects("opcode 0x53") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testNewObjOfATensorClassIsRejected() {
        // NEWOBJ is only for OrderedDict.
        let p: [UInt8] = [0x80, 0x02] + Array("ctorch\nFloatTensor\n".utf8) + [0x29, 0x81, 0x2e]
        assertRejects("NEWOBJ of torch.FloatTensor is not allowed") { _ = try loadCheckpoint(bytes: legacyFile(objectPickle: p)) }
    }

    func testStorageLargerThanItsZipRecord() throws {
        // Patch the zip fixture's pickle: storage "0" of conv1.weight declares 108 floats; make it 255.
        var bytes = try Fixtures.bytes("cnn_zip.pth")
        let needle: [UInt8] = Array("cpu".utf8) + [0x71, 0x07, 0x4B, 108]
        let at = try XCTUnwrap((0..<(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        bytes[at + needle.count - 1] = 255
        assertRejects("storage 0 declares 1020 bytes but its record holds 432") { _ = try loadCheckpoint(bytes: bytes) }
    }
}
