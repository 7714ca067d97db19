// Reading safetensors: 8-byte little-endian header length N, N bytes of JSON
// ({"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}),
// then the data. The checks are the reference implementation's (huggingface/safetensors,
// `Metadata::validate` and `SafeTensors::read_metadata`): N at most 100 MB and inside the file,
// the header UTF-8 JSON starting with '{', every tensor's byte length equal to its element
// count times the dtype size (overflow-checked), tensors sorted by offset tiling the data with
// no gap and no overlap from 0, and the last one ending exactly at the end of the file.
// Tensors come back in data order, which is the order they were written in.

import Pickle

enum SafetensorsReader {
    static let maxHeaderSize = 100_000_000

    /// Whether `bytes` look like a safetensors file (plausible header length, then '{').
    static func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 10 else { return false }
        let n = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        return n <= UInt64(bytes.count - 8) && bytes[8] == UInt8(ascii: "{")
    }

    private struct Info {
        let name: String
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    static func load(_ bytes: UnsafeRawBufferPointer, release: (UnsafeRawBufferPointer) -> Void) throws -> StateDict {
        var c = ByteCursor(bytes)
        let rawLength = try c.le(UInt64.self, "safetensors header length")
        guard rawLength <= UInt64(maxHeaderSize) else { throw FormatError("safetensors: header of \(rawLength) bytes is larger than \(maxHeaderSize)") }
        let n = Int(rawLength)
        guard n <= c.remaining else { throw FormatError("safetensors: header length \(n) runs past the end of the file") }
        let headerBytes = try c.slice(n, "safetensors header")
        guard headerBytes.utf8String != nil else { throw FormatError("safetensors: header is not UTF-8") }
        guard headerBytes.first == UInt8(ascii: "{") else { throw FormatError("safetensors: header does not start with '{'") }
        guard case .object(let members) = try JSONParser.parse(headerBytes) else { throw FormatError("safetensors: header is not an object") }
        let data = UnsafeRawBufferPointer(rebasing: bytes[(8 + n)...])

        var metadata: [String: String] = [:]
        var infos: [Info] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw FormatError("safetensors: __metadata__ is not an object") }
                for (k, v) in pairs {
                    guard case .string(let s) = v else { throw FormatError("safetensors: metadata value for \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            infos.append(try info(name, value))
        }
        // Validate as the reference does: sorted by offsets, contiguous, sizes consistent.
        infos.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expectedStart = 0
        for t in infos {
            guard t.begin == expectedStart, t.end >= t.begin else {
                throw FormatError("safetensors: tensor \(t.name) has invalid offsets [\(t.begin), \(t.end)] (expected to start at \(expectedStart); gaps and overlaps are not allowed)")
            }
            var count = 1
            for d in t.shape { count = try checkedMul(count, d, "safetensors: element count of \(t.name)") }
            let length = try checkedMul(count, t.dtype.elementSize, "safetensors: byte size of \(t.name)")
            guard length == t.end - t.begin else {
                throw FormatError("safetensors: tensor \(t.name) of shape \(t.shape) and dtype \(t.dtype.safetensorsName) needs \(length) bytes, offsets give \(t.end - t.begin)")
            }
            expectedStart = t.end
        }
        guard expectedStart == data.count else {
            throw FormatError("safetensors: tensors cover \(expectedStart) bytes but the data section has \(data.count)")
        }

        var dict = StateDict()
        var limit = Int.max
        for t in infos {
            let raw = UnsafeRawBufferPointer(rebasing: data[t.begin..<t.end])
            let count = t.shape.reduce(1, *)
            let strides = rowMajorStrides(t.shape)
            let ref = TensorRef(storage: StorageRef(key: t.name, dtype: t.dtype, count: count), offset: 0, shape: t.shape, strides: strides)
            do {
                dict.set(t.name, try TensorMaterializer.tensor(ref, storage: raw, bigEndian: false, limit: &limit, release: release), dtype: t.dtype)
            } catch let e as FormatError { throw FormatError("\(t.name): \(e.reason)") }
            release(raw)
        }
        dict.metadata = metadata
        dict.format = .safetensors
        return dict
    }

    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = s
            s &*= max(shape[d], 1)
        }
        return strides
    }

    private static func info(_ name: String, _ value: JSONValue) throws -> Info {
        guard case .object(let fields) = value else { throw FormatError("safetensors: entry \(name) is not an object") }
        func field(_ k: String) -> JSONValue? { fields.first { $0.0 == k }?.1 }
        guard case .string(let dtypeName) = field("dtype") else { throw FormatError("safetensors: tensor \(name) has no dtype") }
        guard let dtype = DType(safetensorsName: dtypeName) else { throw FormatError("safetensors: tensor \(name) has unsupported dtype \(dtypeName)") }
        guard case .array(let shapeValues) = field("shape"), shapeValues.count <= 64 else { throw FormatError("safetensors: tensor \(name) has no valid shape") }
        let shape = try shapeValues.map { v -> Int in
            guard case .number(_, true, let i?) = v, i >= 0 else { throw FormatError("safetensors: tensor \(name) has a bad dimension") }
            return i
        }
        guard case .array(let offsets) = field("data_offsets"), offsets.count == 2,
              case .number(_, true, let begin?) = offsets[0], case .number(_, true, let end?) = offsets[1], begin >= 0, end >= 0 else {
            throw FormatError("safetensors: tensor \(name) has no valid data_offsets")
        }
        return Info(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
