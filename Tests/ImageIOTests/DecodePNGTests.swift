// PNG decoding against Pillow's convert("RGB"/"L"/"RGBA") of hand-written PNGs of every colour
// type and bit depth (16-bit, 1/2/4-bit, palette + tRNS, Adam7, gAMA).
import ImageIO
import TestSupport
import XCTest

final class DecodePNGTests: XCTestCase {
    func testEveryColourTypeAndDepthMatchesPillowExactly() throws {
        let cases = Fixtures.cases("png")
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for c in cases {
            let name = c["name"] as! String
            let path = Fixtures.path("png/\(name).png")
            for (mode, ext) in [(ColorMode.rgb, "rgb"), (.gray, "l"), (.rgba, "rgba")] {
                let image = try Image.decode(contentsOf: path, options: DecodeOptions(mode: mode)).image
                let expected = try Fixtures.bytes("png/\(name).\(ext)")
                XCTAssertEqual(image.width, c["width"] as? Int, name)
                XCTAssertEqual(image.height, c["height"] as? Int, name)
                XCTAssertEqual(image.channels, mode.channels)
                XCTAssertEqual(image.pixels, expected, "\(name) as \(mode): max diff \(maxAbsDiff(image.pixels, expected))")
            }
        }
    }

    func testSixteenBitIsReducedAsPillowNotAsLinearLight() throws {
        // gray16 row 0 starts 0, 1, 255, 256, 1000, 65535: Pillow's I;16 -> L clips above 255.
        let gray = try Image(contentsOf: Fixtures.path("png/gray16.png"), mode: .gray)
        XCTAssertEqual(Array(gray.pixels.prefix(6)), [0, 1, 255, 255, 255, 255])
    }

    func testFormatComesFromMagicBytesNotExtension() throws {
        let png = try Fixtures.bytes("png/rgb8.png")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let misnamed = dir.appendingPathComponent("actually-a-png.jpg").path
        _ = FileManager.default.createFile(atPath: misnamed, contents: Data(png))
        let result = try Image.decode(contentsOf: misnamed)
        XCTAssertEqual(result.format, .png)
        XCTAssertEqual(result.image, try Image(data: png))
    }
}
