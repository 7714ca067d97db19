// Random transforms: reproducible from a seed, parameters within torchvision's ranges, and the
// deterministic parts (what a chosen crop/flip produces) exact.
import ImageIO
import Tensors
import Transforms
import XCTest

final class RandomTransformTests: XCTestCase {
    let photo = try! Image(contentsOf: Fixtures.samples.appendingPathComponent("coffee.jpg").path)

    func testSameSeedSameOutput() throws {
        let pipeline = Compose([RandomResizedCrop(96), RandomHorizontalFlip(), RandomVerticalFlip(p: 0.3),
                                RandomCrop(80, padding: [4], padIfNeeded: true)])
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let x = try pipeline.apply(photo, using: &a), y = try pipeline.apply(photo, using: &b)
        XCTAssertEqual(x, y)
        XCTAssertEqual(x.width, 80)
        XCTAssertNotEqual(try pipeline.apply(photo, using: &c), x)
    }

    func testRandomResizedCropParametersStayInRange() {
        var rng = RandomGenerator(seed: 7)
        for _ in 0..<2000 {
            let p = RandomResizedCrop.parameters(height: 400, width: 600, scale: 0.08...1, ratio: 0.75...(4.0 / 3.0), using: &rng)
            XCTAssertTrue(p.top >= 0 && p.left >= 0 && p.top + p.height <= 400 && p.left + p.width <= 600)
            let area = Double(p.width * p.height) / 240_000
            XCTAssertGreaterThan(area, 0.07)
            XCTAssertLessThanOrEqual(area, 1.0)
        }
        // A 1000x10 strip can never satisfy the ratio: torchvision's centre fallback clamps it.
        let p = RandomResizedCrop.parameters(height: 10, width: 1000, scale: 0.08...1, ratio: 0.75...(4.0 / 3.0), using: &rng)
        XCTAssertTrue(p == (0, 493, 10, 13))  // w = round(10 * 4/3) = 13, left = (1000 - 13) // 2
    }

    func testRandomCropPadIfNeededPadsBothSides() throws {
        var rng = RandomGenerator(seed: 3)
        let small = Image(width: 4, height: 4, channels: 1, value: 9)
        // width 4 < 10: torchvision pads 6 on the left and 6 on the right (16 wide), then crops.
        let out = try RandomCrop(height: 4, width: 10, padIfNeeded: true).apply(small, using: &rng)
        XCTAssertEqual(out.width, 10)
        XCTAssertEqual(out.pixels.filter { $0 == 9 }.count, 16)
        XCTAssertThrowsError(try RandomCrop(10).apply(small, using: &rng))
    }

    func testFlipProbabilityIsHonoured() throws {
        var rng = RandomGenerator(seed: 5)
        let img = Image(width: 2, height: 1, channels: 1, pixels: [1, 2])
        var flipped = 0
        for _ in 0..<1000 where try RandomHorizontalFlip().apply(img, using: &rng).pixels == [2, 1] { flipped += 1 }
        XCTAssertTrue((430...570).contains(flipped), "\(flipped)")
        XCTAssertEqual(try RandomHorizontalFlip(p: 0).apply(img, using: &rng), img)
    }
}
