// Downloading zoo weights: streamed into a temporary file next to the destination (Files'
// `writeAtomically`, tag `part`), hashed while it arrives, and renamed into place only after the
// length and the SHA-256 prefix check out.
// Any failure (HTTP error, refused connection, truncated body, wrong hash) removes the temporary
// file, so the final name only ever holds a verified file; stale temporaries left by an
// interrupted run are removed when the next download of the same file starts.

import Files
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
        removeStaleTemporaries(of: destination)
        var digest = ""
        do {
            try writeAtomically(to: destination, tag: temporaryTag) { file in
                digest = try receive(target, url: url, into: file, sha256Prefix: sha256Prefix, timeout: timeout, progress: progress)
            }
        } catch let e as FileError {
            throw ZooDownloadError(e.description)
        }
        return digest
    }

    /// The tag of download temporaries: `.<name>.part-<pid>-<random>` next to the destination.
    static let temporaryTag = "part"

    /// Streams `target` into `file` and checks it; returns the file's full SHA-256 (hex). Throws
    /// `ZooDownloadError`, after which `writeAtomically` removes the temporary file.
    private static func receive(_ target: URL, url: String, into file: AtomicFile, sha256Prefix: String,
                                timeout: Double, progress: Progress?) throws -> String {
        let receiver = Receiver(file: file, progress: progress)
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
        return digest
    }

    /// Removes the `.<name>.part-PID-*` files left next to `destination` by interrupted downloads
    /// (those whose process no longer runs; a download running in another process keeps its own).
    static func removeStaleTemporaries(of destination: String) {
        AtomicFile.removeStaleTemporaries(of: destination, tag: temporaryTag)
    }
}

/// The URLSession delegate: writes each chunk to the temporary file and hashes it. Callbacks
/// arrive on a serial queue; the lock guards the state the waiting thread reads at the end.
private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome { var failure: String?; var received: Int64; var total: Int64?; var digest: String }

    let done = DispatchSemaphore(value: 0)
    private let file: AtomicFile
    private let progress: ZooDownloader.Progress?
    private let lock = NSLock()
    private var hasher = SHA256()
    private var received: Int64 = 0
    private var total: Int64?
    private var failure: String?

    init(file: AtomicFile, progress: ZooDownloader.Progress?) {
        self.file = file
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
            do throws(FileError) { try file.write(raw) } catch { return "cannot write the download: \(error)" }
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
