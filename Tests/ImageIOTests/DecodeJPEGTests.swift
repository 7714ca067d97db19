// JPEG decoding against Pillow. Pillow 13's wheel bundles libjpeg-turbo 3.x; we link Debian's
// 2.1.5. Both use the ISLOW IDCT and fancy upsampling with the same integer arithmetic, and the
// pixels are identical on every fixture (asserted exactly below, not within a tolerance).
import ImageIO
import TestSupport
import XCTest

final class DecodeJPEGTests: XCTestCase {
    func testPillowWrittenJPEGsDecodeIdenticallyToPillow() throws {
        for c in Fixtures.cases("jpeg") where c["sample"] == nil {
            let name = c["name"] as! String
            let decoded = try Image.decode(contentsOf: Fixtures.path("jpeg/\(name).jpg"))
            XCTAssertEqual(decoded.format, .jpeg)
            let expected = try Fixtures.bytes("jpeg/\(name).rgb")
            XCTAssertEqual(decoded.image.width, c["width"] as? Int, name)
            XCTAssertEqual(decoded.image.height, c["height"] as? Int, name)
            XCTAssertEqual(decoded.image.pixels, expected, "\(name): max diff \(maxAbsDiff(decoded.image.pixels, expected))")
            let gray = try Image(contentsOf: Fixtures.path("jpeg/\(name).jpg"), mode: .gray)
            let expectedGray = try Fixtures.bytes("jpeg/\(name).l")
            XCTAssertEqual(gray.pixels, expectedGray, "\(name) as L: max diff \(maxAbsDiff(gray.pixels, expectedGray))")
        }
    }

    func testSamplePhotosDecodeIdenticallyToPillow() throws {
        let samples = Fixtures.cases("jpeg").filter { $0["sample"] != nil }
        XCTAssertEqual(samples.count, 3)
        for c in samples {
            let name = c["name"] as! String
            let image = try Image(contentsOf: Fixtures.samples.appendingPathComponent(name).path)
            XCTAssertEqual(image.width, c["width"] as? Int)
            XCTAssertEqual(image.height, c["height"] as? Int)
            XCTAssertEqual(image.pixels.reduce(0) { $0 + Int($1) }, c["sum"] as? Int, name)
            XCTAssertEqual(fnv1a64(image.pixels), c["fnv1a64"] as? String, name)
        }
    }

    func testCMYKIsConvertedAsPillow() throws {
        let result = try Image.decode(contentsOf: Fixtures.path("jpeg/cmyk.jpg"))
        XCTAssertEqual(result.image.channels, 3)
        XCTAssertEqual(result.image.pixels, try Fixtures.bytes("jpeg/cmyk.rgb"))
    }

    func testExifOrientationAppliedOnlyWhenAsked() throws {
        for c in Fixtures.cases("jpeg") where c["orientation"] != nil {
            let name = c["name"] as! String
            let path = Fixtures.path("jpeg/\(name).jpg")
            let raw = try Image.decode(contentsOf: path)
            XCTAssertEqual(raw.orientation, c["orientation"] as? Int)
            XCTAssertEqual(raw.image.pixels, try Fixtures.bytes("jpeg/\(name).rgb"))
            let turned = try Image(contentsOf: path, applyOrientation: true)
            XCTAssertEqual(turned.width, c["transposedWidth"] as? Int, name)
            XCTAssertEqual(turned.height, c["transposedHeight"] as? Int, name)
            XCTAssertEqual(turned.pixels, try Fixtures.bytes("jpeg/\(name).transposed.rgb"), name)
        }
    }
}
