// The ImageNet classification preset on the real sample photos against torchvision's
// Resize(256, bilinear, antialias) → CenterCrop(224) → ToTensor → Normalize on PIL images.
import ImageIO
import Tensors
import TestSupport
import Transforms
import XCTest

final class PresetTests: XCTestCase {
    func testPresetMatchesTorchvision() throws {
        let preset = ImageClassificationPreset()
        let cases = Fixtures.cases("preset")
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let name = c["name"] as! String
            let photo = try Image(contentsOf: Fixtures.samples.appendingPathComponent(name).path)
            // The 8-bit image torchvision fed to ToTensor is identical ...
            let crop = preset.croppedImage(photo)
            let expectedCrop = try Image(contentsOf: Fixtures.path("preset/\(name.dropLast(4))_crop.png"))
            XCTAssertEqual(crop, expectedCrop, "\(name): max diff \(maxAbsDiff(crop.pixels, expectedCrop.pixels))")
            // ... and so is the tensor (200 sampled values and per-channel sums).
            let tensor = preset(photo)
            XCTAssertEqual(tensor.shape, c["shape"] as? [Int])
            let values = tensor.scalars
            let indices = c["indices"] as! [Int], expected = c["values"] as! [Double]
            var maxErr: Float = 0
            for (i, v) in zip(indices, expected) { maxErr = max(maxErr, abs(values[i] - Float(v))) }
            XCTAssertLessThanOrEqual(maxErr, 1e-6, name)
            let sums = c["channelSums"] as! [Double]
            let plane = 224 * 224
            for ch in 0..<3 {
                let s = values[(ch * plane)..<((ch + 1) * plane)].reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(s, sums[ch], accuracy: 1e-2, "\(name) channel \(ch)")
            }
        }
    }

    func testPipelineAndBatch() throws {
        let preset = ImageClassificationPreset(cropSize: 64, resizeSize: 72)
        let photos = try ["chelsea.jpg", "coffee.jpg"].map { try Image(contentsOf: Fixtures.samples.appendingPathComponent($0).path) }
        var rng = RandomGenerator(seed: 1)
        let viaPipeline = try preset.pipeline.apply(photos[0], using: &rng)
        XCTAssertEqual(viaPipeline.scalars, preset(photos[0]).scalars)
        let batch = preset.batch(photos)
        XCTAssertEqual(batch.shape, [2, 3, 64, 64])
        XCTAssertEqual(Array(batch.scalars[(3 * 64 * 64)...]), preset(photos[1]).scalars)
    }

    func testToTensorAndBack() throws {
        let img = try Image(contentsOf: Fixtures.path("png/rgba8.png"), mode: .rgba)
        let t = toTensor(img)
        XCTAssertEqual(t.shape, [4, 7, 13])
        XCTAssertEqual(t.scalars[0], Float(img.pixels[0]) / 255)
        XCTAssertEqual(t.scalars[7 * 13], Float(img.pixels[1]) / 255)  // channel 1 plane starts after channel 0
        XCTAssertEqual(toImage(t), img)
        let n = Normalize(mean: [0.5, 0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25, 0.25])(t)
        XCTAssertEqual(n.scalars[5], (t.scalars[5] - 0.5) / 0.25)
    }
}
