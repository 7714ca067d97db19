// `vision zoo download` and `vision zoo list` against a tiny HTTP server on 127.0.0.1 (loopback
// only, no network).

import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct CLIZooTests {
    /// The zoo entry path through the CLI: `--url` to a mirror serving the wrong file fails the hash
    /// check, exits non-zero, and leaves the cache empty.
    @Test func cliDownloadRejectsWrongFile() throws {
        // A real fixture file as the payload (160 KB, so it arrives in several chunks).
        let body = try ModelsFixtures.bytes("architectures.json")
        let server = try LoopbackHTTPServer(routes: ["/resnet18.pth": .init(status: "200 OK", body: body, declaredLength: nil)])
        defer { server.stop() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-dl-cli-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        func leftovers(_ directory: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        }
        let result = try VisionProcess.run(["zoo", "download", "resnet18", "--url", server.url("/resnet18.pth")], visionHome: home)
        #expect(result.status != 0)
        #expect(result.stderr.contains("SHA-256 mismatch") && result.stderr.contains("f37072fd"), "\(result.stderr)")
        #expect(leftovers(home + "/checkpoints").isEmpty, "left: \(leftovers(home + "/checkpoints"))")

        let missing = try VisionProcess.run(["zoo", "download", "resnet18", "--url", server.url("/gone.pth")], visionHome: home)
        #expect(missing.status != 0 && missing.stderr.contains("HTTP 404"), "\(missing.stderr)")
        #expect(leftovers(home + "/checkpoints").isEmpty)

        let unknown = try VisionProcess.run(["zoo", "download", "resnet9000"], visionHome: home)
        #expect(unknown.status != 0 && unknown.stderr.contains("resnet50_v2"), "\(unknown.stderr)")

        let list = try VisionProcess.run(["zoo", "list"], visionHome: home)
        #expect(list.status == 0)
        #expect(list.stdout.contains("cache: \(home)/checkpoints"))
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("resnet50_v2 ") && $0.contains("80.858") && $0.contains("232/224 bilinear")
                && $0.contains(" no ") && $0.hasSuffix("imagenet") }, "\(list.stdout)")
        #expect(lines.contains { $0.hasPrefix("efficientnet_v2_l ") && $0.contains("480/480 bicubic")
                && $0.hasSuffix("mean=0.5/0.5/0.5,std=0.5/0.5/0.5") }, "\(list.stdout)")
    }
}
