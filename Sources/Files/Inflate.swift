// Decompression through the system zlib, for the two places SwiftVision meets deflate data: the
// one-member zip wrapper torch.hub accepts around a checkpoint (raw deflate, windowBits −15, the
// output size known from the zip header) and gzip'd IDX files (windowBits 15 + 32, so zlib reads
// the gzip header itself). One `ZStream` feeds and drains zlib in chunks (its lengths are 32-bit)
// and reports each step; the two entry points differ only in how they size the output:
// - `rawDeflate` fills a caller's buffer exactly: a stream that ends early, runs past the
//   declared size or is malformed is an error.
// - `gzip` does not trust the size in the file: the trailer's ISIZE is only a first guess for the
//   buffer, which grows as data really arrives, up to `limit`, so a small corrupt file cannot make
//   us allocate gigabytes and a decompression bomb stops at the limit. Concatenated members are
//   read one after another, as Python's gzip module does; trailing zero padding is ignored, other
//   trailing bytes are an error.

import CZlib

/// zlib decompression of raw deflate streams (zip members) and gzip files.
public enum Inflate {
    /// Whether `bytes` start with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses the raw deflate stream `input`, which must fill `output` exactly.
    /// - Throws: `FileError` naming `name`: `.truncated` if the stream stops short, `.corrupt` if
    ///   it is malformed or continues past `output.count` bytes. Reasons start with "inflate:".
    public static func rawDeflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                                  name: String) throws(FileError) {
        func fail(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, path: name, "inflate: \(problem)") }
        guard let stream = ZStream(windowBits: -15) else { throw fail(.io, "zlib could not be initialised") }
        var consumed = 0, produced = 0
        while true {
            switch stream.step(input, consumed: &consumed, into: output.baseAddress, capacity: output.count, produced: &produced) {
            case .end:
                guard produced == output.count else {
                    throw fail(.truncated, "stream ended after \(produced) of \(output.count) bytes")
                }
                return
            case .progress:
                continue
            case .stalled:  // out of input, or out of room
                throw produced == output.count
                    ? fail(.corrupt, "data continues past the declared size of \(output.count) bytes")
                    : fail(.truncated, "stream truncated after \(produced) of \(output.count) bytes")
            case .failed(let message):
                throw fail(.corrupt, "corrupt deflate data (\(message))")
            }
        }
    }

    /// The decompressed bytes of the gzip file `input` (all its members), at most `limit` of them.
    /// - Throws: `FileError` naming `name`: `.truncated` if the data ends early, `.corrupt` if it is
    ///   not gzip, malformed, followed by garbage or larger than `limit`. Reasons start with "gzip:".
    public static func gzip(_ input: UnsafeRawBufferPointer, limit: Int, name: String) throws(FileError) -> ByteBuffer {
        func fail(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, path: name, "gzip: \(problem)") }
        guard isGzip(input) else { throw fail(.corrupt, "not a gzip file (no 1f 8b magic)") }
        // ISIZE (little-endian, mod 2^32) of the last member: a first guess only, and never more
        // than deflate's best ratio (1032:1) allows for this many input bytes.
        var guess = 1 << 16
        if input.count >= 18 {
            let isize = Int(input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian)
            guess = max(guess, min(isize &+ 1, input.count &* 1032))
        }
        let out = ByteBuffer(capacity: min(guess, max(limit, 1)))
        guard let stream = ZStream(windowBits: 15 + 32) else { throw fail(.io, "zlib could not be initialised") }
        var consumed = 0
        while true {
            if out.count == out.capacity {
                guard out.capacity < limit else { throw fail(.corrupt, "decompresses to more than the limit of \(limit) bytes") }
                out.reserve(min(limit, out.capacity &* 2))
            }
            var produced = out.count
            let step = stream.step(input, consumed: &consumed, into: out.base, capacity: out.capacity, produced: &produced)
            out.setCount(produced)
            switch step {
            case .end:
                let rest = UnsafeRawBufferPointer(rebasing: input[consumed...])
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return out }
                guard isGzip(rest) else { throw fail(.corrupt, "\(rest.count) bytes of trailing garbage after the compressed data") }
                guard stream.reset() else { throw fail(.io, "zlib could not be reset for the next member") }
            case .progress:
                continue
            case .stalled:
                if out.count == out.capacity { continue }  // out of room: grow and go on
                throw fail(.truncated, "compressed data ends early (after \(out.count) decompressed bytes)")
            case .failed(let message):
                throw fail(.corrupt, "corrupt compressed data (\(message))")
            }
        }
    }
}

/// One zlib inflate stream. The `z_stream` lives at a fixed address, as zlib requires (it keeps a
/// pointer back to it), and is ended when the object goes.
private final class ZStream {
    /// What one call of `inflate` did.
    enum Step {
        /// The end of a (gzip member's) stream.
        case end
        /// Some input was read or output written: call again.
        case progress
        /// Nothing could be done: the input is used up, or the output is full.
        case stalled
        /// zlib found the data malformed; its message.
        case failed(String)
    }

    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// zlib counts in 32 bits: feed and drain at most this much per call.
    private static let chunk = 1 << 30

    init?(windowBits: Int32) {
        stream.initialize(to: z_stream())
        guard inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            return nil
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Starts the next gzip member.
    func reset() -> Bool { inflateReset(stream) == Z_OK }

    /// One call of `inflate` on `input[consumed...]` into `output[produced..<capacity]`; advances
    /// `consumed` and `produced` by what zlib used and made.
    func step(_ input: UnsafeRawBufferPointer, consumed: inout Int, into output: UnsafeMutableRawPointer?,
              capacity: Int, produced: inout Int) -> Step {
        let inCount = min(ZStream.chunk, input.count - consumed), outCount = min(ZStream.chunk, capacity - produced)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed })
        stream.pointee.avail_in = UInt32(inCount)
        stream.pointee.next_out = output.map { $0.assumingMemoryBound(to: UInt8.self) + produced }
        stream.pointee.avail_out = UInt32(outCount)
        let status = inflate(stream, Z_NO_FLUSH)
        let usedIn = inCount - Int(stream.pointee.avail_in), madeOut = outCount - Int(stream.pointee.avail_out)
        consumed += usedIn
        produced += madeOut
        switch status {
        case Z_STREAM_END: return .end
        case Z_OK where usedIn > 0 || madeOut > 0: return .progress
        case Z_OK, Z_BUF_ERROR: return .stalled
        default: return .failed(stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)")
        }
    }
}
