// Deterministic geometry against torchvision.transforms.functional on the same PIL image.
import ImageIO
import Transforms
import XCTest

final class GeometryTests: XCTestCase {
    func testAgainstTorchvision() throws {
        let src = try Image(contentsOf: Fixtures.path("resize/source.png"))
        let ops: [String: (Image) -> Image] = [
            "resize_int_40": { Resize(40)($0) },
            "resize_int_40_max45": { Resize(40, maxSize: 45)($0) },
            "resize_hw_33x21_bicubic": { Resize(height: 33, width: 21, interpolation: .bicubic)($0) },
            "center_crop_31x20": { CenterCrop(height: 20, width: 31)($0) },
            "center_crop_pad_60x90": { CenterCrop(height: 60, width: 90)($0) },
            "pad_3_constant": { Pad([3, 1, 2, 4])($0) },
            "pad_2_edge": { Pad([2], mode: .edge)($0) },
            "pad_2_reflect": { Pad([2, 3], mode: .reflect)($0) },
            "pad_2_symmetric": { Pad([2, 3], mode: .symmetric)($0) },
            "hflip": { $0.flippedHorizontally() },
            "vflip": { $0.flippedVertically() },
            "grayscale3": { Grayscale(outputChannels: 3)($0) },
        ]
        let cases = Fixtures.cases("geometry")
        XCTAssertEqual(cases.count, ops.count)
        for c in cases {
            let name = c["name"] as! String
            let out = ops[name]!(src)
            XCTAssertEqual(out.width, c["width"] as? Int, name)
            XCTAssertEqual(out.height, c["height"] as? Int, name)
            XCTAssertEqual(out.channels, c["channels"] as? Int, name)
            XCTAssertEqual(out.pixels, try Fixtures.bytes("geometry/\(name).bin"), name)
        }
    }

    func testCropOutsideTheImageIsZero() {
        let img = Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4])
        XCTAssertEqual(img.cropped(top: -1, left: 1, height: 3, width: 2).pixels, [0, 0, 2, 0, 4, 0])
    }
}
