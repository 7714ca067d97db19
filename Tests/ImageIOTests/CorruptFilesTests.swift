// A corpus of broken files, made in the test from the good fixtures: every one must throw an
// ImageError naming the file; none may crash, exit or print (stderr is captured and must stay empty).
import Foundation
import ImageIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CorruptFilesTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-corrupt-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Runs `body` with file descriptor 2 redirected to a file; returns what was written there.
    func capturingStderr(_ body: () throws -> Void) rethrows -> String {
        let path = dir.appendingPathComponent("stderr.txt").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let saved = dup(2)
        fflush(nil)
        dup2(fd, 2)
        defer {
            fflush(nil)
            dup2(saved, 2)
            close(saved)
            close(fd)
        }
        try body()
        fflush(nil)
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }

    /// A PNG whose IHDR says `width`×`height`, with a correct CRC.
    static func withIHDR(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
        var p = png
        for (i, v) in [width, height].enumerated() {
            for k in 0..<4 { p[16 + 4 * i + k] = UInt8((v >> (24 - 8 * UInt32(k))) & 0xFF) }
        }
        let crc = crc32(p[12..<29])
        for k in 0..<4 { p[29 + k] = UInt8((crc >> (24 - 8 * UInt32(k))) & 0xFF) }
        return p
    }

    /// Offset of the first JPEG marker `code` (0xFF code).
    static func marker(_ jpeg: [UInt8], _ code: UInt8) -> Int? {
        (2..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == code }
    }

    func corpus() throws -> [(String, [UInt8])] {
        let jpeg = try Fixtures.bytes("jpeg/rgb420_q90.jpg")
        let png = try Fixtures.bytes("png/rgb8.png")
        var files: [(String, [UInt8])] = []
        files.append(("empty.jpg", []))
        files.append(("text.png", Array("hello, not an image\n".utf8)))
        files.append(("random.jpg", (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }))
        files.append(("soi-only.jpg", [0xFF, 0xD8, 0xFF]))
        files.append(("soi-eoi.jpg", [0xFF, 0xD8, 0xFF, 0xD9]))
        for n in [4, 20, 100, jpeg.count / 2, jpeg.count - 10] { files.append(("truncated-\(n).jpg", Array(jpeg.prefix(n)))) }
        for n in [8, 20, 33, 50, png.count / 2, png.count - 13] { files.append(("truncated-\(n).png", Array(png.prefix(n)))) }
        // Remove the SOF0 segment: "no SOF".
        if let sof = Self.marker(jpeg, 0xC0) {
            let len = Int(jpeg[sof + 2]) << 8 | Int(jpeg[sof + 3])
            files.append(("no-sof.jpg", Array(jpeg[..<sof] + jpeg[(sof + 2 + len)...])))
            var huge = jpeg  // SOF with 65000 x 65000
            huge[sof + 5] = 0xFD; huge[sof + 6] = 0xE8; huge[sof + 7] = 0xFD; huge[sof + 8] = 0xE8
            files.append(("huge.jpg", huge))
            var zero = jpeg
            zero[sof + 5] = 0; zero[sof + 6] = 0
            files.append(("zero-height.jpg", zero))
            var badComponents = jpeg
            badComponents[sof + 9] = 2  // 2 components: no colour space
            files.append(("two-components.jpg", badComponents))
        }
        if let dqt = Self.marker(jpeg, 0xDB) {
            var bad = jpeg
            bad[dqt + 2] = 0; bad[dqt + 3] = 1  // segment length 1
            files.append(("bad-dqt-length.jpg", bad))
        }
        if let sos = Self.marker(jpeg, 0xDA) {
            files.append(("no-scan-data.jpg", Array(jpeg[..<sos]) + [0xFF, 0xD9]))
        }
        files.append(("huge.png", Self.withIHDR(png, width: 100_000, height: 100_000)))
        files.append(("zero-width.png", Self.withIHDR(png, width: 0, height: 7)))
        files.append(("one-huge-row.png", Self.withIHDR(png, width: 0x7FFF_FFFF, height: 1)))
        var badCRC = png
        badCRC[29] ^= 0xFF  // IHDR CRC
        files.append(("bad-ihdr-crc.png", badCRC))
        var badIDAT = png
        badIDAT[badIDAT.count - 13] ^= 0x55  // last byte of IDAT's CRC
        files.append(("bad-idat-crc.png", badIDAT))
        var badZlib = png
        badZlib[41 + 8] ^= 0xFF  // inside the zlib stream header of IDAT
        files.append(("bad-zlib.png", badZlib))
        files.append(("png-signature-only.png", Array(png.prefix(8))))
        files.append(("no-idat.png", Array(png.prefix(33)) + [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]))
        return files
    }

    func testEveryCorruptFileThrowsAnErrorNamingIt() throws {
        let files = try corpus()
        var failures: [String] = []
        let printed = try capturingStderr {
            for (name, bytes) in files {
                let path = write(name, bytes)
                do {
                    let image = try Image(contentsOf: path)
                    failures.append("\(name) decoded as \(image.width)x\(image.height) instead of failing")
                } catch let error as ImageError {
                    if error.file != path || !error.description.hasPrefix(path + ": ") || error.message.isEmpty {
                        failures.append("\(name): error does not name the file: \(error)")
                    }
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(printed, "", "the codecs printed to stderr")
        XCTAssertGreaterThanOrEqual(files.count, 25)
    }

    func testSpecificKinds() throws {
        func kind(_ name: String, _ bytes: [UInt8]) -> ImageError.Kind? {
            do { _ = try Image(data: bytes, name: name); return nil } catch let e as ImageError { return e.kind } catch { return nil }
        }
        let corpus = Dictionary(uniqueKeysWithValues: try corpus())
        XCTAssertEqual(kind("e", corpus["empty.jpg"]!), .unrecognizedFormat)
        XCTAssertEqual(kind("h", corpus["huge.jpg"]!), .badDimensions)
        XCTAssertEqual(kind("h", corpus["huge.png"]!), .badDimensions)
        XCTAssertEqual(kind("r", corpus["one-huge-row.png"]!), .badDimensions)
        let jpeg = try Fixtures.bytes("jpeg/rgb420_q90.jpg")
        XCTAssertEqual(kind("t", Array(jpeg.prefix(jpeg.count / 2))), .truncated)
        XCTAssertThrowsError(try Image(contentsOf: dir.appendingPathComponent("missing.png").path)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .io)
        }
        XCTAssertThrowsError(try Image(contentsOf: dir.path)) { error in XCTAssertEqual((error as? ImageError)?.kind, .io) }
    }

    func testPixelLimitIsConfigurable() throws {
        let png = try Fixtures.bytes("png/rgb8.png")  // 13 x 7 = 91 pixels
        XCTAssertNoThrow(try Image.decode(data: png, options: DecodeOptions(maxPixels: 91)))
        XCTAssertThrowsError(try Image.decode(data: png, options: DecodeOptions(maxPixels: 90))) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .badDimensions)
        }
    }

    func testTruncatedJPEGCanBeAcceptedExplicitly() throws {
        let jpeg = try Fixtures.bytes("jpeg/rgb420_q90.jpg")
        let result = try Image.decode(data: Array(jpeg.prefix(jpeg.count * 3 / 4)), options: DecodeOptions(allowTruncated: true))
        XCTAssertEqual(result.image.width, 75)
        XCTAssertFalse(result.warnings.isEmpty)
    }

    /// Random byte mutations of a JPEG and a PNG: decoding either succeeds (with or without warnings)
    /// or throws an ImageError naming the data; with `warningsAreErrors` a warning always throws.
    func testRandomMutationsNeverCrashOrPrint() throws {
        let seeds = [try Fixtures.bytes("jpeg/progressive.jpg"), try Fixtures.bytes("jpeg/rgb420_q90.jpg"),
                     try Fixtures.bytes("png/palette4_trns.png"), try Fixtures.bytes("png/rgba16_adam7.png")]
        var state: UInt64 = 0x1234_5678
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var outcomes = [0, 0, 0]  // clean, warned, threw
        let printed = try capturingStderr {
            for i in 0..<400 {
                var bytes = seeds[i % seeds.count]
                for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] ^= UInt8(1 + next() % 255) }
                do {
                    let r = try Image.decode(data: bytes, name: "mutant-\(i)", options: DecodeOptions(maxPixels: 1 << 20))
                    outcomes[r.warnings.isEmpty ? 0 : 1] += 1
                    if !r.warnings.isEmpty {
                        XCTAssertThrowsError(try Image.decode(data: bytes, options: DecodeOptions(maxPixels: 1 << 20, warningsAreErrors: true)))
                    }
                } catch let error as ImageError {
                    XCTAssertEqual(error.file, "mutant-\(i)")
                    outcomes[2] += 1
                }
            }
        }
        XCTAssertEqual(printed, "")
        XCTAssertGreaterThan(outcomes[2], 50, "outcomes \(outcomes)")
    }
}
