// Downloads against a tiny HTTP server on 127.0.0.1 (loopback only, no network): good hash, bad
// hash, truncated body, 404 and a refused connection. After every failure neither the final file
// nor a temporary one may remain. (`vision zoo download` through the CLI: CLITests/CLIZooTests.)

import Foundation
import Testing
import SwiftVision
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ZooDownloadTests {
    /// A real fixture file as the payload (160 KB, so it arrives in several chunks).
    static func payload() throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/architectures", withExtension: "json"))
        return try [UInt8](Data(contentsOf: url))
    }

    static func temporaryDirectory(_ tag: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-dl-\(tag)-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func leftovers(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func failure(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    @Test func downloadCases() throws {
        let body = try Self.payload()
        let digest = SHA256.hex(body)
        let server = try LoopbackHTTPServer(routes: [
            "/good.pth": .init(status: "200 OK", body: body, declaredLength: nil),
            "/truncated.pth": .init(status: "200 OK", body: Array(body[0..<50_000]), declaredLength: body.count),
        ])
        defer { server.stop() }
        let dir = try Self.temporaryDirectory("cases")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let destination = dir + "/weights-\(digest.prefix(8)).pth"

        // A stale temporary from an interrupted run (its process is gone) is cleaned up by the next
        // download; one of a process still running (another download of the same file) is kept.
        let stale = dir + "/.weights-\(digest.prefix(8)).pth.part-\(Self.deadPID())-2"
        let live = dir + "/.weights-\(digest.prefix(8)).pth.part-1-3"
        _ = FileManager.default.createFile(atPath: stale, contents: Data([0]))
        _ = FileManager.default.createFile(atPath: live, contents: Data([0]))

        // Bad hash: the body arrives but does not match; nothing is kept.
        let wrong = digest.hasPrefix("0") ? "ffffffff" : "00000000"
        let bad = failure { try ZooDownloader.download(from: server.url("/good.pth"), to: destination, sha256Prefix: wrong) }
        #expect(!FileManager.default.fileExists(atPath: stale) && FileManager.default.fileExists(atPath: live),
                "left: \(Self.leftovers(dir))")
        try FileManager.default.removeItem(atPath: live)
        #expect(bad?.contains("SHA-256 mismatch") == true, "\(bad ?? "no error")")
        #expect(bad?.contains(digest) == true)
        #expect(Self.leftovers(dir).isEmpty, "left: \(Self.leftovers(dir))")

        // Truncated: Content-Length promises more than the server sends.
        let truncated = failure { try ZooDownloader.download(from: server.url("/truncated.pth"), to: destination, sha256Prefix: String(digest.prefix(8))) }
        #expect(truncated?.contains("/truncated.pth") == true, "\(truncated ?? "no error")")
        #expect(truncated.map { $0.contains("bytes remaining") || $0.contains("truncated") } == true, "\(truncated ?? "no error")")
        #expect(Self.leftovers(dir).isEmpty, "left: \(Self.leftovers(dir))")

        // 404.
        let missing = failure { try ZooDownloader.download(from: server.url("/nothing.pth"), to: destination, sha256Prefix: String(digest.prefix(8))) }
        #expect(missing?.contains("HTTP 404") == true, "\(missing ?? "no error")")
        #expect(Self.leftovers(dir).isEmpty)

        // Connection refused: a port that was just free.
        let refusedPort = try Self.freePort()
        let refusedURL = "http://127.0.0.1:\(refusedPort)/x.pth"
        let refused = failure { try ZooDownloader.download(from: refusedURL, to: destination, sha256Prefix: "00000000", timeout: 5) }
        #expect(refused?.contains(refusedURL) == true, "\(refused ?? "no error")")
        #expect(refused?.lowercased().contains("connect") == true, "\(refused ?? "no error")")
        #expect(Self.leftovers(dir).isEmpty)

        // Good: the verified file appears under its final name, byte for byte.
        let got = try ZooDownloader.download(from: server.url("/good.pth"), to: destination, sha256Prefix: String(digest.prefix(12)))
        #expect(got == digest)
        #expect(Self.leftovers(dir) == [(destination as NSString).lastPathComponent])
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: destination))) == body)

        // Not a URL at all.
        #expect(failure { try ZooDownloader.download(from: "ftp://x/y", to: destination + "2", sha256Prefix: "00") }?.contains("not an http") == true)
    }

    /// A process id no process has now.
    static func deadPID() -> Int32 {
        var pid: Int32 = 4_000_000
        while kill(pid, 0) == 0 || errno != ESRCH { pid -= 1 }
        return pid
    }

    static func freePort() throws -> UInt16 {
        let server = try LoopbackHTTPServer(routes: [:])
        let port = server.port
        server.stop()
        return port
    }
}
