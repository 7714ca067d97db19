// Encoding round trips: PNG is lossless, JPEG stays close at high quality and decodes to what
// the encoder's own bytes say, and files are replaced atomically.
import Foundation
import ImageIO
import XCTest

final class EncodeTests: XCTestCase {
    func testPNGRoundTripIsExactForEveryChannelCount() throws {
        let rgba = try Image(contentsOf: Fixtures.path("png/rgba8.png"), mode: .rgba)
        for mode in ColorMode.allCases {
            let image = try Image(contentsOf: Fixtures.path("png/rgba8.png"), mode: mode)
            let back = try Image(data: try image.pngData(), mode: mode)
            XCTAssertEqual(back, image, "\(mode)")
        }
        XCTAssertEqual(try Image(data: try rgba.pngData(compressionLevel: 0), mode: .rgba), rgba)
    }

    func testJPEGRoundTripIsClose() throws {
        let photo = try Image(contentsOf: Fixtures.samples.appendingPathComponent("chelsea.jpg").path)
        let data = try photo.jpegData(quality: 95)
        XCTAssertEqual(ImageFormat.detect(data), .jpeg)
        let back = try Image(data: data)
        XCTAssertEqual(back.width, photo.width)
        XCTAssertEqual(back.height, photo.height)
        var sum = 0
        for i in photo.pixels.indices { sum += abs(Int(photo.pixels[i]) - Int(back.pixels[i])) }
        let mean = Double(sum) / Double(photo.pixels.count)
        XCTAssertLessThan(mean, 2.0)
        XCTAssertGreaterThan(mean, 0.0)  // it is lossy: identical bytes would mean nothing was encoded
        let small = try photo.jpegData(quality: 20)
        XCTAssertLessThan(small.count, data.count / 2)
        let gray = try Image(contentsOf: Fixtures.path("jpeg/gray.jpg"), mode: .gray)
        XCTAssertEqual(try Image(data: try gray.jpegData(quality: 90), mode: .gray).channels, 1)
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 4).jpegData())
    }

    func testWriteIsAtomicAndReplacesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-write-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try Image(contentsOf: Fixtures.path("png/rgb8.png"))
        let path = dir.appendingPathComponent("out.png").path
        try Image(width: 1, height: 1, channels: 3).write(to: path)
        try image.write(to: path)
        XCTAssertEqual(try Image(contentsOf: path), image)
        try image.write(to: dir.appendingPathComponent("out.jpg").path, quality: 90)
        XCTAssertEqual(try Image.decode(contentsOf: dir.appendingPathComponent("out.jpg").path).format, .jpeg)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["out.jpg", "out.png"])
        XCTAssertThrowsError(try image.write(to: dir.appendingPathComponent("no/such/dir.png").path)) { error in
            XCTAssertTrue((error as? ImageError)?.description.contains("no/such/dir.png") ?? false)
        }
    }
}
