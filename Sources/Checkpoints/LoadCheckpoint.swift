// The entry point: detect the format by its first bytes (never by the file name) and dispatch.
//
//   PK 03 04                      zip: torch.save's archive (has */data.pkl), or the one-member
//                                 "legacy zip" wrapper around another checkpoint
//   80 xx 8a 0a <magic>           torch.save's legacy pickle stream
//   "ustar" at offset 257         the pre-0.4 tar format
//   u64 length, then '{'          safetensors

import Files
import Pickle

/// Loads the tensors of a checkpoint file: a torch.save `.pth` (zip, legacy stream or tar, or a
/// one-member zip around one) or a safetensors file. The format is detected from the content.
///
/// Pickled files go through a safe unpickler that only rebuilds tensors and plain containers
/// and never calls anything. A whole training checkpoint (`{"model": ..., "optimizer": ...}`
/// or `{"state_dict": ...}`) yields its model state dict, and a `module.` prefix on every key
/// (nn.DataParallel) is removed; `notes` on the result says when either happened. Tensors are
/// converted to Float32; each entry keeps its file dtype.
///
/// The file is memory-mapped and each tensor decoded straight from the mapping, so loading
/// costs about the size of the resulting Float32 tensors.
/// - Throws: `CheckpointError` naming the file and the problem.
public func loadCheckpoint(_ path: String) throws -> StateDict {
    try withPath(path) {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try CheckpointLoader.load(file.bytes, release: { file.release($0) }) }
    }
}

/// Loads a checkpoint from bytes in memory (see `loadCheckpoint(_:)`); `name` is used in errors.
public func loadCheckpoint(bytes: [UInt8], name: String = "<memory>") throws -> StateDict {
    try withPath(name) {
        try bytes.withUnsafeBytes { try CheckpointLoader.load($0, release: { _ in }) }
    }
}

enum CheckpointLoader {
    static func load(_ bytes: UnsafeRawBufferPointer, release: (UnsafeRawBufferPointer) -> Void, allowWrapper: Bool = true) throws -> StateDict {
        guard !bytes.isEmpty else { throw FormatError("the file is empty") }
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 3, bytes[3] == 4 {
            let entries = try ZipReader.entries(bytes)
            if let pickle = TorchZipFormat.pickleEntry(entries) {
                return try TorchZipFormat.load(bytes, entries: entries, pickle: pickle, release: release)
            }
            let files = entries.filter { !$0.isDirectory }
            guard allowWrapper, files.count == 1, let member = files.first else {
                throw FormatError("zip archive without */data.pkl (\(entries.count) entries): not a PyTorch checkpoint")
            }
            var dict = try wrapped(member, in: bytes, release: release)
            dict.notes.insert("read \(member.name) from a one-member zip wrapper", at: 0)
            return dict
        }
        if TorchLegacyFormat.matches(bytes) { return try TorchLegacyFormat.load(bytes, release: release) }
        if TarReader.matches(bytes) { return try TorchTarFormat.load(bytes, release: release) }
        if SafetensorsReader.matches(bytes) { return try SafetensorsReader.load(bytes, release: release) }
        if bytes[0] == 0x80 { throw FormatError("a pickle without PyTorch's magic number: not a torch.save file") }
        throw FormatError("unrecognised format (not a PyTorch zip, legacy or tar checkpoint, nor safetensors)")
    }

    /// The one member of a legacy zip wrapper, loaded as a checkpoint of its own.
    private static func wrapped(_ member: ZipEntry, in bytes: UnsafeRawBufferPointer, release: (UnsafeRawBufferPointer) -> Void) throws -> StateDict {
        if member.method == 0 {
            return try load(try ZipReader.storedData(member, in: bytes), release: release, allowWrapper: false)
        }
        // Deflate never shrinks data more than ~1032:1; a larger claim is a lie.
        guard member.uncompressedSize <= (member.compressedSize &+ 1) &* 1032 else {
            throw FormatError("zip member \(member.name) claims \(member.uncompressedSize) bytes from \(member.compressedSize) compressed")
        }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(member.uncompressedSize, 1), alignment: 64)
        defer { output.deallocate() }
        let target = UnsafeMutableRawBufferPointer(rebasing: output[0..<member.uncompressedSize])
        let input = UnsafeRawBufferPointer(rebasing: bytes[member.dataOffset..<(member.dataOffset + member.compressedSize)])
        try Inflate.rawDeflate(input, into: target, name: member.name)
        return try load(UnsafeRawBufferPointer(target), release: { _ in }, allowWrapper: false)
    }
}
