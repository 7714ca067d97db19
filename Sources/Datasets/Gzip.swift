// gzip decompression through the system zlib (`inflateInit2` with windowBits 15 + 32 reads the
// gzip header itself). The output size is not trusted: the trailer's ISIZE is only a first guess
// for the buffer, which grows as data really arrives, up to a limit, so a small corrupt file
// cannot make us allocate gigabytes and a decompression bomb stops at the limit. Concatenated
// members are read one after another, as Python's gzip module does; trailing zero padding is
// ignored, other trailing bytes are an error.
import CZlib
#if canImport(Glibc)
import Glibc
#endif
import Traps

/// A malloc'd byte buffer (the decompressed file), freed when released.
final class ByteBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var count = 0
    private(set) var capacity = 0

    init(capacity: Int) { reserve(capacity) }

    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func reserve(_ n: Int) {
        guard n > capacity else { return }
        guard let p = realloc(base, n) else { trap("out of memory reserving \(n) bytes") }
        base = p
        capacity = n
    }

    /// Marks `n` more bytes (written past `count`) as used.
    func grow(by n: Int) { count += n }
}

enum Gzip {
    /// Whether `bytes` start with the gzip magic 1f 8b.
    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed bytes of a gzip file, at most `limit` of them. Errors name `name`.
    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int, name: String) throws -> ByteBuffer {
        func fail(_ problem: String) -> DatasetError { DatasetError.file(.corrupt, name, "gzip: \(problem)") }
        guard isGzip(input) else { throw fail("not a gzip file (no 1f 8b magic)") }
        // ISIZE (little-endian, mod 2^32) of the last member: a first guess only, and never more
        // than deflate's best ratio (1032:1) allows for this many input bytes.
        var guess = 1 << 16
        if input.count >= 18 {
            let isize = Int(input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian)
            guess = max(guess, min(isize &+ 1, input.count &* 1032))
        }
        let out = ByteBuffer(capacity: min(guess, max(limit, 1)))
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 30  // zlib counts in 32 bits
        var consumed = 0
        while true {
            if out.count == out.capacity {
                guard out.capacity < limit else { throw fail("decompresses to more than the limit of \(limit) bytes") }
                out.reserve(min(limit, out.capacity &* 2))
            }
            let inCount = min(chunk, input.count - consumed), outCount = min(chunk, out.capacity - out.count)
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + consumed)
            stream.avail_in = UInt32(inCount)
            stream.next_out = (out.base! + out.count).assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(outCount)
            let status = inflate(&stream, Z_NO_FLUSH)
            let usedIn = inCount - Int(stream.avail_in), madeOut = outCount - Int(stream.avail_out)
            consumed += usedIn
            out.grow(by: madeOut)
            switch status {
            case Z_STREAM_END:
                let rest = UnsafeRawBufferPointer(rebasing: input[consumed...])
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return out }
                guard isGzip(rest) else { throw fail("\(rest.count) bytes of trailing garbage after the compressed data") }
                guard inflateReset(&stream) == Z_OK else { throw fail("zlib could not be reset for the next member") }
            case Z_OK where usedIn > 0 || madeOut > 0:
                continue
            case Z_OK, Z_BUF_ERROR:
                if out.count == out.capacity { continue }  // out of room: grow and go on
                throw fail("compressed data ends early (after \(out.count) decompressed bytes)")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw fail("corrupt compressed data (\(message))")
            }
        }
    }
}
