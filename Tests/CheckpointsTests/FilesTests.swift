// The Files module: atomic writes leave either the old file or the new one and never a temporary
// file, reads and maps name the file and the reason, and zlib inflate refuses corrupt, short and
// oversized streams. (It lives in CheckpointsTests, the target of its first user.)

import Files
import Foundation
import XCTest

final class FilesTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("files-tests-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    func contents(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    // MARK: - Atomic writes

    func testWriteCreatesAndReplacesTheFileAndLeavesNoTemporary() throws {
        let path = directory + "/out.bin"
        try writeAtomically([1, 2, 3], to: path)
        XCTAssertEqual(try contents(path), [1, 2, 3])
        try writeAtomically([9], to: path)
        XCTAssertEqual(try contents(path), [9])
        try writeAtomically(to: path) { file in
            try file.write([4, 5])
            let tail: [UInt8] = [6, 7]
            try tail.withUnsafeBytes { try file.write($0) }
        }
        XCTAssertEqual(try contents(path), [4, 5, 6, 7])
        XCTAssertEqual(try listing(), ["out.bin"])
    }

    func testWriteIntoAMissingDirectoryNamesTheFileAndCreatesNothing() throws {
        let path = directory + "/missing/out.bin"
        XCTAssertThrowsError(try writeAtomically([1], to: path)) { error in
            guard let e = error as? FileError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.path, path)
            XCTAssertEqual(e.kind, .io)
            XCTAssertEqual(e.reason, "cannot create a temporary file in \(directory)/missing: No such file or directory")
            XCTAssertEqual(e.description, "\(path): \(e.reason)")
        }
        XCTAssertEqual(try listing(), [])
    }

    func testAThrowingWriterKeepsTheOldFileAndRemovesTheTemporary() throws {
        struct Stop: Error {}
        let path = directory + "/out.bin"
        try writeAtomically([1, 2, 3], to: path)
        var temporary = ""
        XCTAssertThrowsError(try writeAtomically(to: path) { file in
            temporary = file.temporaryPath
            try file.write([7, 7, 7, 7])
            XCTAssertTrue(FileManager.default.fileExists(atPath: temporary))
            throw Stop()
        }) { error in XCTAssertTrue(error is Stop, "\(error)") }
        XCTAssertTrue(temporary.hasPrefix(directory + "/.out.bin.tmp-"), temporary)
        XCTAssertEqual(try contents(path), [1, 2, 3])
        XCTAssertEqual(try listing(), ["out.bin"])
    }

    func testAnUncommittedFileIsRemovedWhenDroppedAndCannotBeUsedAfterDiscard() throws {
        let path = directory + "/out.bin"
        do {
            let file = try AtomicFile(path: path, tag: "probe")
            XCTAssertTrue(file.temporaryPath.hasPrefix(AtomicFile.temporaryPrefix(for: path, tag: "probe")))
            try file.write([1])
            try withExtendedLifetime(file) { XCTAssertEqual(try listing().count, 1) }
        }
        XCTAssertEqual(try listing(), [])
        let file = try AtomicFile(path: path)
        file.discard()
        XCTAssertThrowsError(try file.commit())
        XCTAssertThrowsError(try file.write([1]))
        XCTAssertEqual(try listing(), [])
    }

    func testRenameOntoADirectoryFailsAndRemovesTheTemporary() throws {
        let path = directory + "/taken"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try writeAtomically([1], to: path)) { error in
            XCTAssertTrue((error as? FileError)?.reason.hasPrefix("cannot rename ") == true, "\(error)")
        }
        XCTAssertEqual(try listing(), ["taken"])
    }

    func testTemporaryNamesAndDirectories() {
        XCTAssertEqual(AtomicFile.temporaryPrefix(for: "/a/b/m.pth", tag: "part"), "/a/b/.m.pth.part-")
        XCTAssertEqual(AtomicFile.temporaryPrefix(for: "m.pth", tag: "tmp"), ".m.pth.tmp-")
        XCTAssertEqual(AtomicFile.directory(of: "/a/b/m.pth"), "/a/b")
        XCTAssertEqual(AtomicFile.directory(of: "/m.pth"), "/")
        XCTAssertEqual(AtomicFile.directory(of: "m.pth"), ".")
    }

    // MARK: - Reads and maps

    func testStaleTemporariesOfDeadProcessesAreRemovedAndLiveOnesKept() throws {
        let path = directory + "/out.bin"
        let prefix = AtomicFile.temporaryPrefix(for: path, tag: "tmp")
        let dead = prefix + "999999999-1", mine = prefix + "\(getpid())-2", other = directory + "/.other.bin.tmp-999999999-3"
        let part = AtomicFile.temporaryPrefix(for: path, tag: "part") + "999999999-4"
        for file in [dead, mine, other, part] { XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data([1]))) }
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(of: path), [dead])
        XCTAssertEqual(try listing(), [".other.bin.tmp-999999999-3", ".out.bin.part-999999999-4", ".out.bin.tmp-\(getpid())-2"])
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(of: path, tag: "part"), [part])
        // A bare file name works relative to the current directory.
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(of: "no-such-name-\(getpid()).bin"), [])
    }

    func testALockRefusesASecondHolderNamingTheFirstAndGoesWithRelease() throws {
        let path = directory + "/out.bin"
        let lock = try FileLock(path: path, owner: "test writer")
        XCTAssertEqual(lock.lockPath, directory + "/.out.bin.lock")
        XCTAssertEqual(try String(contentsOfFile: lock.lockPath, encoding: .utf8), "pid \(getpid()): test writer\n")
        // flock is per open file, so a second lock in the same process is refused too.
        XCTAssertThrowsError(try FileLock(path: path, owner: "second")) { error in
            let e = error as! FileError
            XCTAssertEqual(e.kind, .locked)
            XCTAssertEqual(e.description, "\(path): is being written by another process (pid \(getpid()): test writer); "
                           + "wait for it to finish or write elsewhere (lock file \(directory)/.out.bin.lock)")
        }
        lock.release()
        XCTAssertEqual(try listing(), [])
        let again = try FileLock(path: path, owner: "third")
        XCTAssertEqual(try listing(), [".out.bin.lock"])
        again.release()
        XCTAssertThrowsError(try FileLock(path: directory + "/missing/out.bin", owner: "x")) { error in
            XCTAssertTrue("\(error)".hasPrefix(directory + "/missing/out.bin: cannot create the lock file"), "\(error)")
        }
    }

    func testReadsNameTheReason() throws {
        let path = directory + "/data.bin"
        try writeAtomically([5, 6, 7], to: path)
        XCTAssertEqual(try readWholeFile(path), [5, 6, 7])

        XCTAssertThrowsError(try readWholeFile(directory)) { error in
            XCTAssertEqual(error as? FileError, FileError(.notRegularFile, path: directory, "not a regular file"))
        }
        let missing = directory + "/nope.bin"
        XCTAssertThrowsError(try readWholeFile(missing)) { error in
            XCTAssertEqual(error as? FileError, FileError(.notFound, path: missing, "cannot open: No such file or directory"))
        }
        XCTAssertThrowsError(try MappedFile(path: missing)) { error in
            XCTAssertEqual(error as? FileError, FileError(.notFound, path: missing, "cannot open: No such file or directory"))
        }
        XCTAssertThrowsError(try MappedFile(path: directory)) { error in
            XCTAssertEqual((error as? FileError)?.kind, .notRegularFile)
        }
    }

    func testMappedFileGivesTheBytesAndSurvivesRelease() throws {
        let path = directory + "/big.bin"
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try writeAtomically(bytes, to: path)
        let file = try MappedFile(path: path)
        withExtendedLifetime(file) {
            XCTAssertEqual(Array(file.bytes), bytes)
            file.release(0..<file.bytes.count)
            file.release(UnsafeRawBufferPointer(rebasing: file.bytes[10_000..<90_000]))
            XCTAssertEqual(Array(file.bytes), bytes, "released pages read back from the file")
        }

        let empty = directory + "/empty.bin"
        try writeAtomically([], to: empty)
        XCTAssertEqual(try MappedFile(path: empty).bytes.count, 0)
        XCTAssertEqual(try readWholeFile(empty), [])
    }

    func testErrnoText() {
        XCTAssertEqual(errnoText(ENOENT), "No such file or directory")
    }

    // MARK: - Inflate

    /// A raw deflate stream of one final stored block holding `data`.
    func storedBlock(_ data: [UInt8]) -> [UInt8] {
        let n = UInt16(data.count)
        return [0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + data
    }

    /// A gzip member around `deflate` (the CRC-32 and size of "hello" by default).
    func gzipMember(_ deflate: [UInt8], crc: UInt32 = 0x3610_A686, size: UInt32 = 5) -> [UInt8] {
        [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03] + deflate
            + withUnsafeBytes(of: crc.littleEndian, Array.init) + withUnsafeBytes(of: size.littleEndian, Array.init)
    }

    func rawInflate(_ input: [UInt8], size: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        try input.withUnsafeBytes { inp in
            try output.withUnsafeMutableBytes { out in try Inflate.rawDeflate(inp, into: out, name: "member") }
        }
        return output
    }

    func gunzip(_ input: [UInt8], limit: Int = 1 << 20) throws -> [UInt8] {
        try input.withUnsafeBytes { try Inflate.gzip($0, limit: limit, name: "f.gz").withUnsafeBytes(Array.init) }
    }

    func assertFails(_ expected: FileError, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), line: line) { error in XCTAssertEqual(error as? FileError, expected, line: line) }
    }

    func testRawDeflateFillsTheBufferExactlyOrThrows() throws {
        let hello = Array("hello".utf8)
        XCTAssertEqual(try rawInflate(storedBlock(hello), size: 5), hello)
        assertFails(FileError(.corrupt, path: "member", "inflate: corrupt deflate data (invalid stored block lengths)")) {
            _ = try rawInflate([0x01, 0x05, 0x00, 0x00, 0x00] + hello, size: 5)
        }
        assertFails(FileError(.corrupt, path: "member", "inflate: corrupt deflate data (invalid block type)")) {
            _ = try rawInflate([0x07, 0, 0, 0], size: 5)
        }
        assertFails(FileError(.truncated, path: "member", "inflate: stream ended after 5 of 6 bytes")) {
            _ = try rawInflate(storedBlock(hello), size: 6)
        }
        assertFails(FileError(.corrupt, path: "member", "inflate: data continues past the declared size of 4 bytes")) {
            _ = try rawInflate(storedBlock(hello), size: 4)
        }
        assertFails(FileError(.truncated, path: "member", "inflate: stream truncated after 2 of 5 bytes")) {
            _ = try rawInflate(Array(storedBlock(hello).prefix(7)), size: 5)
        }
    }

    func testGzipReadsMembersAndRefusesCorruptData() throws {
        let member = gzipMember(storedBlock(Array("hello".utf8)))
        XCTAssertTrue(member.withUnsafeBytes { Inflate.isGzip($0) })
        XCTAssertEqual(try gunzip(member), Array("hello".utf8))
        XCTAssertEqual(try gunzip(member + member + [0, 0, 0]), Array("hellohello".utf8), "members concatenate, zero padding is ignored")
        assertFails(FileError(.corrupt, path: "f.gz", "gzip: corrupt compressed data (incorrect data check)")) {
            _ = try gunzip(gzipMember(storedBlock(Array("hello".utf8)), crc: 0))
        }
        assertFails(FileError(.corrupt, path: "f.gz", "gzip: not a gzip file (no 1f 8b magic)")) { _ = try gunzip([1, 2, 3]) }
        assertFails(FileError(.corrupt, path: "f.gz", "gzip: 2 bytes of trailing garbage after the compressed data")) {
            _ = try gunzip(member + [7, 7])
        }
        assertFails(FileError(.truncated, path: "f.gz", "gzip: compressed data ends early (after 5 decompressed bytes)")) {
            _ = try gunzip(Array(member.dropLast(3)))
        }
        assertFails(FileError(.corrupt, path: "f.gz", "gzip: decompresses to more than the limit of 4 bytes")) {
            _ = try gunzip(member, limit: 4)
        }
    }
}
