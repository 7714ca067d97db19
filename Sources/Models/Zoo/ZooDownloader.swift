// Downloading zoo weights: streamed into a temporary file next to the destination, hashed while
// it arrives, and renamed into place only after the length and the SHA-256 prefix check out.
// Any failure (HTTP error, refused connection, truncated body, wrong hash) removes the temporary
// file, so the final name only ever holds a verified file; stale temporaries left by an
// interrupted run are removed when the next download of the same file starts.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A download that failed; `description` names the URL or file and the problem.
public struct ZooDownloadError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Streams weights from a URL into the cache with SHA-256 verification.
public enum ZooDownloader {
    /// Progress callback: bytes received so far and the total, when the server sent one.
    public typealias Progress = @Sendable (_ received: Int64, _ total: Int64?) -> Void

    /// Downloads `entry` into `cache` (from `url` if given, e.g. a mirror) and returns the
    /// file's path. The file must hash to the entry's SHA-256 prefix.
    @discardableResult
    public static func download(_ entry: ZooEntry, into cache: ZooCache, from url: String? = nil,
                                timeout: Double = 60, progress: Progress? = nil) throws -> String {
        try cache.createDirectories()
        let destination = cache.path(for: entry)
        try download(from: url ?? entry.url, to: destination, sha256Prefix: entry.sha256Prefix,
                     timeout: timeout, progress: progress)
        return destination
    }

    /// Downloads `url` to `destination` atomically and returns the file's full SHA-256 (hex).
    /// - Parameters:
    ///   - sha256Prefix: leading hex digits the file's SHA-256 must start with.
    ///   - timeout: seconds without any data before giving up.
    /// - Throws: `ZooDownloadError` naming the URL and the problem; nothing is left at
    ///   `destination` or in a temporary file.
    @discardableResult
    public static func download(from url: String, to destination: String, sha256Prefix: String,
                                timeout: Double = 60, progress: Progress? = nil) throws -> String {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
            throw ZooDownloadError("\(url): not an http(s) URL")
        }
        let directory = (destination as NSString).deletingLastPathComponent
        let base = (destination as NSString).lastPathComponent
        removeStaleTemporaries(of: base, in: directory)
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(base).part-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ZooDownloadError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var closed = false, renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }

        let receiver = Receiver(fd: fd, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: queue)
        session.dataTask(with: target).resume()
        receiver.done.wait()
        session.finishTasksAndInvalidate()

        let outcome = receiver.outcome()
        if let failure = outcome.failure { throw ZooDownloadError("\(url): \(failure)") }
        if let total = outcome.total, total >= 0, outcome.received != total {
            throw ZooDownloadError("\(url): truncated download: received \(outcome.received) of \(total) bytes")
        }
        guard outcome.received > 0 else { throw ZooDownloadError("\(url): the server sent an empty file") }
        let digest = outcome.digest
        guard digest.hasPrefix(sha256Prefix.lowercased()) else {
            throw ZooDownloadError("\(url): SHA-256 mismatch: expected a hash starting with \(sha256Prefix), got \(digest) (\(outcome.received) bytes); nothing was saved")
        }
        guard fsync(fd) == 0 else { throw ZooDownloadError("\(temporary): fsync failed: \(String(cString: strerror(errno)))") }
        closed = true
        guard close(fd) == 0 else { throw ZooDownloadError("\(temporary): close failed: \(String(cString: strerror(errno)))") }
        guard rename(temporary, destination) == 0 else {
            throw ZooDownloadError("cannot rename \(temporary) to \(destination): \(String(cString: strerror(errno)))")
        }
        renamed = true
        return digest
    }

    /// Removes `.<base>.part-*` files left in `directory` by interrupted downloads.
    static func removeStaleTemporaries(of base: String, in directory: String) {
        let dir = directory.isEmpty ? "." : directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(".\(base).part-") { unlink(dir + "/" + name) }
    }
}

/// The URLSession delegate: writes each chunk to the temporary file and hashes it. Callbacks
/// arrive on a serial queue; the lock guards the state the waiting thread reads at the end.
private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome { var failure: String?; var received: Int64; var total: Int64?; var digest: String }

    let done = DispatchSemaphore(value: 0)
    private let fd: Int32
    private let progress: ZooDownloader.Progress?
    private let lock = NSLock()
    private var hasher = SHA256()
    private var received: Int64 = 0
    private var total: Int64?
    private var failure: String?

    init(fd: Int32, progress: ZooDownloader.Progress?) {
        self.fd = fd
        self.progress = progress
    }

    func outcome() -> Outcome {
        lock.lock(); defer { lock.unlock() }
        return Outcome(failure: failure, received: received, total: total, digest: hasher.finalize())
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            failure = "HTTP \(http.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: http.statusCode))"
            lock.unlock()
            completionHandler(.cancel)
            return
        }
        total = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        guard failure == nil else { lock.unlock(); return }
        let error: String? = data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return "cannot write the download: \(String(cString: strerror(errno)))" }
                done += n
            }
            hasher.update(raw)
            return nil
        }
        if let error {
            failure = error
            lock.unlock()
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        let (r, t) = (received, total)
        lock.unlock()
        progress?(r, t)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if failure == nil, let error {
            failure = (error as NSError).localizedDescription
        }
        lock.unlock()
        done.signal()
    }
}
