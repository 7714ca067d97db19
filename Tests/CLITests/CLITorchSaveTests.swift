// `vision classify --json` on the sample photos with a complete torchvision resnet18 saved by
// torch.save, in the zip and the legacy format (ModelsTests' fixtures, see
// Scripts/make_pth_fixtures.py), against what torchvision computed from the same file.

import Foundation
import Testing
import TestSupport

/// ModelsTests' fixtures, read in place (they are that target's resources, not this one's).
enum ModelsFixtures: FixtureFolder {
    static let root = repositoryRoot.appendingPathComponent("Tests/ModelsTests/Fixtures")
}

enum TorchSaveFixture {
    struct Top: Decodable { let image: String; let indices: [Int]; let probabilities: [Double] }
    struct File: Decodable { let classify: [Top] }

    static let expected: File = ModelsFixtures.decode(File.self, "resnet18-views.json")

    static func path(_ name: String) -> String { ModelsFixtures.path(name + ".pth") }
}

@Suite struct CLITorchSaveTests {
    @Test(arguments: ["resnet18-views", "resnet18-views-legacy"])
    func classifyJSONEqualsTorchvisionPreset(_ file: String) throws {
        let images = TorchSaveFixture.expected.classify.map(\.image)
        let result = try VisionProcess.run(["classify", "--model", "resnet18", "--weights", TorchSaveFixture.path(file),
                                            "--json", "--topk", "5"] + images, visionHome: CLIFixture.home("pth"))
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try CLIFixture.parseLines(result.stdout)
        #expect(objects.count == images.count)
        for (object, expected) in zip(objects, TorchSaveFixture.expected.classify) {
            #expect(object["image"] as? String == expected.image)
            let top = try #require(object["top"] as? [[String: Any]])
            #expect(top.compactMap { $0["index"] as? Int } == expected.indices, "\(expected.image)")
            let probabilities = top.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
            #expect(probabilities.count == 5)
            for (p, e) in zip(probabilities, expected.probabilities) {
                #expect(Swift.abs(p - e) <= 1e-4, "\(expected.image): \(p) vs torchvision \(e)")
            }
        }
    }
}
