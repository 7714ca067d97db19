// Downloads against a tiny HTTP server on 127.0.0.1 (loopback only, no network): good hash, bad
// hash, truncated body, 404 and a refused connection. After every failure neither the final file
// nor a temporary one may remain.

import Foundation
import Testing
import SwiftVision
#if canImport(Glibc)
import Glibc
#endif

/// A one-thread HTTP/1.0 server on 127.0.0.1 serving canned responses by path. Each response
/// declares `Content-Length: declaredLength` (the body size unless set larger, to truncate).
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Response { var status: String; var body: [UInt8]; var declaredLength: Int? }

    let port: UInt16
    private let listener: Int32
    private let routes: [String: Response]
    private let lock = NSLock()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(routes: [String: Response]) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ZooDownloadError("socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw ZooDownloadError("bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        listener = fd
        Thread.detachNewThread { [self] in serve() }
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        _ = finished.wait(timeout: .now() + 5)
        close(listener)
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    private func serve() {
        defer { finished.signal() }
        let deadline = Date().addingTimeInterval(120)  // bounded even if stop() is never called
        while !isStopped && Date() < deadline {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 65536, !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
            var p = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 2000) > 0 else { return }
            let n = read(client, &chunk, chunk.count)
            guard n > 0 else { return }
            request += chunk[0..<n]
            if String(decoding: request, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        let path = parts.count > 1 ? String(parts[1]) : "/"
        let response = routes[path] ?? Response(status: "404 Not Found", body: Array("not found\n".utf8), declaredLength: nil)
        let head = "HTTP/1.0 \(response.status)\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: \(response.declaredLength ?? response.body.count)\r\nConnection: close\r\n\r\n"
        var out = Array(head.utf8) + response.body
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeMutableBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
        out.removeAll()
    }
}

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

        // A stale temporary from an interrupted run is cleaned up by the next download.
        _ = FileManager.default.createFile(atPath: dir + "/.weights-\(digest.prefix(8)).pth.part-1-2", contents: Data([0]))

        // Bad hash: the body arrives but does not match; nothing is kept.
        let wrong = digest.hasPrefix("0") ? "ffffffff" : "00000000"
        let bad = failure { try ZooDownloader.download(from: server.url("/good.pth"), to: destination, sha256Prefix: wrong) }
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

    /// The zoo entry path through the CLI: `--url` to a mirror serving the wrong file fails the hash
    /// check, exits non-zero, and leaves the cache empty.
    @Test func cliDownloadRejectsWrongFile() throws {
        let body = try Self.payload()
        let server = try LoopbackHTTPServer(routes: ["/resnet18.pth": .init(status: "200 OK", body: body, declaredLength: nil)])
        defer { server.stop() }
        let home = try Self.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try VisionProcess.run(["zoo", "download", "resnet18", "--url", server.url("/resnet18.pth")], visionHome: home)
        #expect(result.status != 0)
        #expect(result.stderr.contains("SHA-256 mismatch") && result.stderr.contains("f37072fd"), "\(result.stderr)")
        #expect(Self.leftovers(home + "/checkpoints").isEmpty, "left: \(Self.leftovers(home + "/checkpoints"))")

        let missing = try VisionProcess.run(["zoo", "download", "resnet18", "--url", server.url("/gone.pth")], visionHome: home)
        #expect(missing.status != 0 && missing.stderr.contains("HTTP 404"), "\(missing.stderr)")
        #expect(Self.leftovers(home + "/checkpoints").isEmpty)

        let unknown = try VisionProcess.run(["zoo", "download", "resnet9000"], visionHome: home)
        #expect(unknown.status != 0 && unknown.stderr.contains("resnet50_v2"), "\(unknown.stderr)")

        let list = try VisionProcess.run(["zoo", "list"], visionHome: home)
        #expect(list.status == 0)
        #expect(list.stdout.contains("cache: \(home)/checkpoints"))
        #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("resnet50_v2 ") && $0.contains("80.858") && $0.hasSuffix("no") })
    }

    static func freePort() throws -> UInt16 {
        let server = try LoopbackHTTPServer(routes: [:])
        let port = server.port
        server.stop()
        return port
    }
}
