// DataPickle: plain data and numpy arrays (as in CIFAR's python batches) through the allowlist
// unpickler. The pickles below were written by Python 3 / numpy 2 (base64 of pickle.dumps).
import Pickle
import Foundation
import XCTest

final class DataPickleTests: XCTestCase {
    func load(_ base64: String) throws -> PickleData {
        try DataPickle.load(bytes: [UInt8](Data(base64Encoded: base64)!), name: "t.pkl")
    }

    /// {"data": np.arange(6, dtype=uint8).reshape(2, 3), "labels": [1, 2]} with protocols 2, 4 and 5
    /// (2: raw bytes via _codecs.encode; 4: _reconstruct + BUILD; 5: _frombuffer over a bytearray).
    static let batches = [
        "gAJ9cQAoWAQAAABkYXRhcQFjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcQJjbnVtcHkKbmRhcnJheQpxA0sAhXEEY19jb2RlY3MKZW5jb2RlCnEFWAEAAABicQZYBgAAAGxhdGluMXEHhnEIUnEJh3EKUnELKEsBSwJLA4ZxDGNudW1weQpkdHlwZQpxDVgCAAAAdTFxDomIh3EPUnEQKEsDWAEAAAB8cRFOTk5K/////0r/////SwB0cRJiiWgFWAYAAAAAAQIDBAVxE2gHhnEUUnEVdHEWYlgGAAAAbGFiZWxzcRddcRgoSwFLAmV1Lg==",
        "gASVrQAAAAAAAAB9lCiMBGRhdGGUjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3RydWN0lJOUjAVudW1weZSMB25kYXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLAksDhpRoBYwFZHR5cGWUk5SMAnUxlImIh5RSlChLA4wBfJROTk5K/////0r/////SwB0lGKJQwYAAQIDBAWUdJRijAZsYWJlbHOUXZQoSwFLAmV1Lg==",
        "gAWVmAAAAAAAAAB9lCiMBGRhdGGUjBNudW1weS5fY29yZS5udW1lcmljlIwLX2Zyb21idWZmZXKUk5QolgYAAAAAAAAAAAECAwQFlIwFbnVtcHmUjAVkdHlwZZSTlIwCdTGUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LAHSUYksCSwOGlIwBQ5R0lFKUjAZsYWJlbHOUXZQoSwFLAmV1Lg==",
    ]

    func testUInt8ArraysInEveryProtocol() throws {
        for b in Self.batches {
            let v = try load(b)
            guard case .array(let a)? = v["data"] else { return XCTFail("no array in \(v.kind)") }
            XCTAssertEqual(a.elementType, .uint8)
            XCTAssertEqual(a.shape, [2, 3])
            XCTAssertFalse(a.fortranOrder)
            XCTAssertEqual(a.bytes, [0, 1, 2, 3, 4, 5])
            XCTAssertEqual(v["labels"]?.items?.compactMap(\.int), [1, 2])
        }
    }

    func testBigEndianFloatsAndFortranOrder() throws {
        guard case .array(let f) = try load("gASVkQAAAAAAAACMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKUh5RSlChLAUsChZRoA4wFZHR5cGWUk5SMAmY0lImIh5RSlChLA4wBPpROTk5K/////0r/////SwB0lGKJQwg/wAAAwAAAAJR0lGIu") else {
            return XCTFail("not an array")
        }
        XCTAssertEqual(f.elementType, .float32)
        XCTAssertFalse(f.littleEndian)
        XCTAssertEqual(f.bytes, [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0])  // 1.5, -2.0 big-endian
        guard case .array(let i) = try load("gASVlwAAAAAAAACMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKUh5RSlChLAUsCSwOGlGgDjAVkdHlwZZSTlIwCaTKUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYohDDAAAAwABAAQAAgAFAJR0lGIu") else {
            return XCTFail("not an array")
        }
        XCTAssertEqual(i.elementType, .int16)
        XCTAssertTrue(i.fortranOrder)
        XCTAssertEqual(i.shape, [2, 3])
    }

    func testObjectAndStringArraysAreRefused() {
        assertRejects("pickle: numpy dtype 'O8' is not supported") {
            _ = try self.load("gASVkAAAAAAAAACMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKUh5RSlChLAUsChZRoA4wFZHR5cGWUk5SMAk84lImIh5RSlChLA4wBfJROTk5K/////0r/////Sz90lGKJXZQoSwGMAXiUZXSUYi4=")
        }
        assertRejects("pickle: numpy dtype 'U2' is not supported") {
            _ = try self.load("gASVkwAAAAAAAACMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKUh5RSlChLAUsChZRoA4wFZHR5cGWUk5SMAlUylImIh5RSlChLA4wBPJROTk5LCEsESwh0lGKJQxBhAAAAYgAAAGMAAAAAAAAAlHSUYi4=")
        }
    }

    func testShapeThatDisagreesWithTheBytes() {
        assertRejects("numpy array: shape [2, 4] of u1 needs 8 bytes, the pickle holds 6") {
            _ = try self.load("gASVrQAAAAAAAAB9lCiMBGRhdGGUjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3RydWN0lJOUjAVudW1weZSMB25kYXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLAksEhpRoBYwFZHR5cGWUk5SMAnUxlImIh5RSlChLA4wBfJROTk5K/////0r/////SwB0lGKJQwYAAQIDBAWUdJRijAZsYWJlbHOUXZQoSwFLAmV1Lg==")
        }
    }

    func testPython2StringsAreBytesAndCallsAreRefused() throws {
        // PROTO 2, {'k': 'v\xff'} with SHORT_BINSTRING (Python 2 str), then os.system(...).
        let v = try DataPickle.load(bytes: [0x80, 0x02, 0x7D, 0x55, 0x01, 0x6B, 0x55, 0x02, 0x76, 0xFF, 0x73, 0x2E])
        guard case .dict(let d) = v, case .bytes(let key) = d[0].key, case .bytes(let value) = d[0].value else { return XCTFail("\(v.kind)") }
        XCTAssertEqual(key, [0x6B])
        XCTAssertEqual(value, [0x76, 0xFF])
        XCTAssertEqual(v["k"]?.text, "v\u{FF}")
        let evil: [UInt8] = [0x80, 0x02] + Array("cposix\nsystem\nU\u{04}trueR.".utf8)
        assertRejects("GLOBAL posix.system is not allowed") { _ = try DataPickle.load(bytes: evil) }
        // Tensors and storages are not plain data.
        assertRejects("pickle: a torch.FloatStorage is not plain data") {
            _ = try DataPickle.load(bytes: [0x80, 0x02] + Array("ctorch\nFloatStorage\n.".utf8))
        }
    }

    func testErrorsNameTheFile() {
        XCTAssertThrowsError(try DataPickle.load(contentsOf: "/nonexistent/batch")) { error in
            XCTAssertEqual((error as? PickleError)?.path, "/nonexistent/batch")
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/batch: cannot open"), "\(error)")
        }
        XCTAssertThrowsError(try DataPickle.load(bytes: [0x80, 0x02, 0x7D], name: "cut.pkl")) { error in
            XCTAssertEqual("\(error)", "cut.pkl: truncated: opcode needs 1 bytes at offset 3, 0 left")
        }
    }
}

extension DataPickleTests {
    /// Every prefix and 3000 random corruptions of the three array pickles: each loads or throws a
    /// PickleError; nothing traps.
    func testTruncatedAndCorruptedPicklesNeverCrash() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var rejected = 0
        for b in Self.batches {
            let good = [UInt8](Data(base64Encoded: b)!)
            var cases = (0..<good.count).map { Array(good[..<$0]) }
            for _ in 0..<1000 {
                var bad = good
                bad[Int(random() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: random())
                cases.append(bad)
            }
            for bytes in cases {
                do { _ = try DataPickle.load(bytes: bytes, name: "fuzz") } catch is PickleError { rejected += 1 } catch {
                    XCTFail("unexpected error \(error)")
                }
            }
        }
        XCTAssertGreaterThan(rejected, 500)
    }
}
