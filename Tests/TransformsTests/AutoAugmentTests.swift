// TrivialAugmentWide's operations against torchvision's _apply_op on PIL images, and its bins.
import ImageIO
import Tensors
import TestSupport
import Transforms
import XCTest

final class AutoAugmentTests: XCTestCase {
    static let names: [String: TrivialAugmentWide.Operation] = [
        "Identity": .identity, "ShearX": .shearX, "ShearY": .shearY, "TranslateX": .translateX, "TranslateY": .translateY,
        "Rotate": .rotate, "Brightness": .brightness, "Color": .color, "Contrast": .contrast, "Sharpness": .sharpness,
        "Posterize": .posterize, "Solarize": .solarize, "AutoContrast": .autoContrast, "Equalize": .equalize,
    ]

    func testOperationsMatchTorchvision() throws {
        let sources = ["src": try Image(contentsOf: Fixtures.path("resize/source.png")),
                       "dark": try Image(contentsOf: Fixtures.path("autoaugment/dark.png"))]
        let t = TrivialAugmentWide()
        var diffs: [String: Int] = [:]
        for c in Fixtures.cases("autoaugment") {
            let name = c["name"] as! String
            let out = t.apply(Self.names[c["op"] as! String]!, magnitude: c["magnitude"] as! Double, to: sources[c["source"] as! String]!)
            diffs[name] = maxAbsDiff(out.pixels, try Fixtures.bytes("autoaugment/\(name).bin"))
        }
        XCTAssertEqual(diffs.count, 32)
        XCTAssertEqual(diffs.filter { $0.value != 0 }, [:])
    }

    func testMagnitudeBinsMatchTorchvision() {
        let expected = Fixtures.manifest["trivialAugmentMagnitudes"] as! [String: [Any]]
        let t = TrivialAugmentWide()
        for (name, op) in Self.names {
            let (values, signed) = t.magnitudes(op)
            let e = expected[name]!
            XCTAssertEqual(signed, e[1] as? Bool, name)
            let ev = e[0] as! [Double]
            XCTAssertEqual(values.count, ev.count == 1 ? 0 : ev.count, name)
            // torch's vectorised Float32 linspace may differ by one ulp from the arithmetic formula.
            if values.count == ev.count { for (a, b) in zip(values, ev) { XCTAssertEqual(a, b, accuracy: 1.5 * Double(Float(b).ulp), name) } }
        }
    }

    func testReproducible() throws {
        let src = try Image(contentsOf: Fixtures.path("resize/source.png"))
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        for _ in 0..<20 { XCTAssertEqual(try TrivialAugmentWide().apply(src, using: &a), try TrivialAugmentWide().apply(src, using: &b)) }
    }
}
