// Resize against Pillow's Image.resize: nearest, bilinear, bicubic; down- and up-scaling, odd
// sizes, aspect-ratio changes, one axis unchanged. The resampler reproduces Pillow's fixed-point
// arithmetic, so the outputs are asserted identical (max diff 0), not merely within 1 LSB.
import ImageIO
import TestSupport
import Transforms
import XCTest

final class ResizeTests: XCTestCase {
    func testResizeMatchesPillowBitForBit() throws {
        let cases = Fixtures.cases("resize")
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        var worst = 0
        for c in cases {
            let source = c["source"] as! String
            let mode: ColorMode = source.contains("gray") ? .gray : .rgb
            let image = try Image(contentsOf: Fixtures.path("resize/\(source)"), mode: mode)
            let filter = Interpolation(rawValue: c["filter"] as! String)!
            let w = c["width"] as! Int, h = c["height"] as! Int
            let out = image.resized(width: w, height: h, interpolation: filter)
            let expected = try Fixtures.bytes("resize/\(c["file"] as! String)")
            let diff = maxAbsDiff(out.pixels, expected)
            worst = max(worst, diff)
            XCTAssertEqual(diff, 0, "\(source) \(filter) \(w)x\(h)")
        }
        XCTAssertEqual(worst, 0)
    }

    func testShorterSideRule() {
        // torchvision: shorter side to size, long side truncated; max_size caps the long side.
        XCTAssertTrue(resizedOutputSize(height: 400, width: 600, size: [256]) == (256, 384))
        XCTAssertTrue(resizedOutputSize(height: 300, width: 451, size: [256]) == (256, 384))  // 384.85 -> 384
        XCTAssertTrue(resizedOutputSize(height: 451, width: 300, size: [256]) == (384, 256))
        XCTAssertTrue(resizedOutputSize(height: 100, width: 1000, size: [50], maxSize: 200) == (20, 200))
        XCTAssertTrue(resizedOutputSize(height: 10, width: 20, size: [7, 9]) == (7, 9))
    }
}
