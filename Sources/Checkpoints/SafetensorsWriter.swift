// Writing safetensors, atomically (Files' `writeAtomically`: a temporary file in the same
// directory, flushed to disk, then renamed over the destination), so a crash leaves either the
// old file or the new one, never half of one. Tensors are written in the state dict's order
// (the reader returns them in that order), each in its entry's dtype; the header is padded
// with spaces to a multiple of 8 bytes, as the reference writer does.

import Files
import Pickle
import Tensors

/// Writes `stateDict` to `path` as safetensors, atomically (temporary file + rename).
///
/// Each tensor is stored in its entry's `dtype` (Float32 unless it was loaded or set otherwise;
/// integers are rounded, half and bfloat16 rounded to nearest even). `metadata` goes into the
/// `__metadata__` map; when nil, the state dict's own `metadata` is used. See `ModelMetadata`
/// for the keys SwiftVision's own checkpoints carry.
public func saveSafetensors(_ stateDict: StateDict, metadata: [String: String]? = nil, to path: String) throws {
    let header = try withPath(path) { try safetensorsHeader(stateDict, metadata: metadata ?? stateDict.metadata) }
    try withPath(path) {
        try writeAtomically(to: path) { file in
            var writer = ChunkWriter(file: file)
            try writer.append(Array(header.utf8))
            for entry in stateDict.entries { try writer.append(entry.tensor, as: entry.dtype) }
            try writer.flush()
        }
    }
}

/// The 8-byte length followed by the padded JSON header.
private func safetensorsHeader(_ stateDict: StateDict, metadata: [String: String]) throws -> String {
    var parts: [String] = []
    if !metadata.isEmpty {
        let items = metadata.keys.sorted().map { "\(JSONParser.quote($0)):\(JSONParser.quote(metadata[$0] ?? ""))" }
        parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
    }
    var offset = 0
    for e in stateDict.entries {
        guard e.name != "__metadata__" else { throw FormatError("a tensor cannot be named __metadata__") }
        let end = offset + e.tensor.count * e.dtype.elementSize
        let shape = e.tensor.shape.map(String.init).joined(separator: ",")
        parts.append("\(JSONParser.quote(e.name)):{\"dtype\":\"\(e.dtype.safetensorsName)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
        offset = end
    }
    var json = "{" + parts.joined(separator: ",") + "}"
    let length = json.utf8.count
    json += String(repeating: " ", count: (8 - length % 8) % 8)
    return json
}

/// Buffers output and writes it to `file` in 1 MiB chunks; tensors are converted into the buffer.
private struct ChunkWriter {
    let file: AtomicFile
    var buffer: [UInt8] = []
    var wroteLength = false
    static let chunk = 1 << 20

    init(file: AtomicFile) {
        self.file = file
        buffer.reserveCapacity(ChunkWriter.chunk)
    }

    /// The header (the first call): its length prefix, then the JSON.
    mutating func append(_ bytes: [UInt8]) throws {
        if !wroteLength {
            wroteLength = true
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { buffer.append(contentsOf: $0) }
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= ChunkWriter.chunk { try flush() }
    }

    mutating func append(_ tensor: Tensor, as dtype: DType) throws {
        try tensor.withUnsafeBufferPointer { values in
            if dtype == .float32 {  // little-endian host: the floats are the bytes
                try flush()
                try file.write(UnsafeRawBufferPointer(values))
                return
            }
            for v in values {
                switch dtype {
                case .float32: break
                case .float16: appendLE(TensorMaterializer.floatToHalf(v))
                case .bfloat16: appendLE(TensorMaterializer.floatToBFloat16(v))
                case .float64: appendLE(Double(v).bitPattern)
                case .int64: appendLE(Int64(clamping: v, Int64.min, Int64.max))
                case .int32: appendLE(Int32(clamping: v, Int32.min, Int32.max))
                case .int16: appendLE(Int16(clamping: v, Int16.min, Int16.max))
                case .int8: appendLE(Int8(clamping: v, Int8.min, Int8.max))
                case .uint8: appendLE(UInt8(clamping: v, UInt8.min, UInt8.max))
                case .bool: buffer.append(v != 0 && !v.isNaN ? 1 : 0)
                }
                if buffer.count >= ChunkWriter.chunk { try flush() }
            }
        }
    }

    private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }

    mutating func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

extension FixedWidthInteger {
    /// `v` rounded to the nearest integer and clamped to `lo...hi` (NaN → 0).
    init(clamping v: Float, _ lo: Self, _ hi: Self) {
        if v.isNaN { self = 0; return }
        let r = v.rounded()
        if r <= Float(lo) { self = lo } else if r >= Float(hi) { self = hi } else { self = Self(r) }
    }
}
