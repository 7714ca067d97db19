// ColorJitter's building blocks, GaussianBlur, rotation and make_grid against torchvision on PIL images.
import ImageIO
import Tensors
import TestSupport
import Transforms
import XCTest

final class ColorTests: XCTestCase {
    func testAdjustmentsAgainstTorchvision() throws {
        let src = try Image(contentsOf: Fixtures.path("resize/source.png"))
        var worst: [String: Int] = [:]
        for c in Fixtures.cases("color") {
            let name = c["name"] as! String, kind = c["kind"] as! String, v = c["value"] as! Double
            let out: Image
            switch kind {
            case "brightness": out = src.adjustedBrightness(v)
            case "contrast": out = src.adjustedContrast(v)
            case "saturation": out = src.adjustedSaturation(v)
            case "hue": out = src.adjustedHue(v)
            case _ where kind.hasPrefix("rotate_"):
                out = src.rotated(degrees: v, interpolation: Interpolation(rawValue: String(kind.dropFirst(7)))!)
            default:
                let k = Int(kind.dropFirst(4))!
                out = src.gaussianBlurred(kernelSize: (k, k), sigma: (v, v))
            }
            let expected = try Fixtures.bytes("color/\(name).bin")
            worst[name] = maxAbsDiff(out.pixels, expected)
        }
        XCTAssertEqual(worst.count, 23)
        // Brightness, contrast, saturation (PIL blend), hue (Pillow HSV) and rotation are bit-exact.
        for (name, diff) in worst where !name.hasPrefix("blur") { XCTAssertEqual(diff, 0, name) }
        // The blur sums a 2-D kernel in a different order than torch's conv2d: within 1 LSB.
        for (name, diff) in worst where name.hasPrefix("blur") { XCTAssertLessThanOrEqual(diff, 1, name) }
    }

    func testColorJitterIsReproducibleAndIdentityAtZero() throws {
        let src = try Image(contentsOf: Fixtures.path("resize/source.png"))
        let jitter = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        XCTAssertEqual(try jitter.apply(src, using: &a), try jitter.apply(src, using: &b))
        XCTAssertNotEqual(try jitter.apply(src, using: &a), src)
        var r = RandomGenerator(seed: 1)
        XCTAssertEqual(try ColorJitter().apply(src, using: &r), src)
    }

    func testMakeGridAgainstTorchvision() throws {
        let batch = Tensor(shape: [5, 3, 6, 7], data: try Fixtures.floats("grid/batch.f32"))
        for c in Fixtures.cases("grid") {
            let name = c["name"] as! String
            let range = (c["value_range"] as? [Double]).map { Float($0[0])...Float($0[1]) }
            let grid = makeGrid(batch, nrow: c["nrow"] as? Int ?? 8, padding: c["padding"] as? Int ?? 2,
                                normalize: c["normalize"] as? Bool ?? false, valueRange: range,
                                scaleEach: c["scale_each"] as? Bool ?? false, padValue: Float(c["pad_value"] as? Double ?? 0))
            XCTAssertEqual(grid.shape, c["shape"] as? [Int], name)
            let expected = try Fixtures.floats("grid/\(name).f32")
            var err: Float = 0
            for (a, b) in zip(grid.scalars, expected) { err = max(err, abs(a - b)) }
            XCTAssertLessThanOrEqual(err, 1e-6, name)
        }
    }

    func testRandomErasing() throws {
        var rng = RandomGenerator(seed: 11)
        let t = Tensor(shape: [3, 20, 30], data: [Float](repeating: 1, count: 1800))
        let erased = try RandomErasing(p: 1).apply(t, using: &rng)
        let zeros = erased.scalars.filter { $0 == 0 }.count
        XCTAssertGreaterThan(zeros, 0)
        XCTAssertEqual(zeros % 3, 0)
        XCTAssertEqual(try RandomErasing(p: 0).apply(t, using: &rng).scalars, t.scalars)
    }
}
