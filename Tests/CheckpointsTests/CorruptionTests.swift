import Foundation
import XCTest
import Checkpoints

/// Truncated and bit-flipped fixtures never crash: each variant either loads or throws.
final class CorruptionTests: XCTestCase {
    static let fixtures = [
        "cnn_zip.pth", "cnn_legacy.pth", "train_checkpoint.pth", "dataparallel.pth", "cnn.safetensors",
        "legacy_wrapper_stored.zip", "legacy_wrapper_deflated.zip", "cnn_tar.pth",
    ]

    /// Loads `bytes`; returns whether it succeeded. Any error must be a CheckpointError.
    private func attempt(_ bytes: [UInt8], _ what: String) -> Bool {
        do {
            _ = try loadCheckpoint(bytes: bytes, name: what)
            return true
        } catch is CheckpointError {
            return false
        } catch {
            XCTFail("\(what): unexpected error type \(error)")
            return false
        }
    }

    func testTruncations() throws {
        for name in Self.fixtures {
            let bytes = try Fixtures.bytes(name)
            XCTAssertTrue(attempt(bytes, name), "\(name) loads intact")
            var failures = 0, cuts = 0
            // Every cut in the first 600 bytes and around the end, then every 7th byte.
            let points = Set(Array(0..<min(600, bytes.count)) + Array(max(0, bytes.count - 600)..<bytes.count) + Array(stride(from: 0, to: bytes.count, by: 7)))
            for cut in points.sorted() {
                cuts += 1
                if !attempt(Array(bytes[..<cut]), "\(name) cut at \(cut)") { failures += 1 }
            }
            XCTAssertGreaterThan(failures, cuts / 2, "\(name): most truncations must be detected")
        }
    }

    func testBitFlips() throws {
        var generator = SplitMix64(seed: 42)
        for name in Self.fixtures {
            let bytes = try Fixtures.bytes(name)
            // Every bit of the first 512 bytes (headers, pickle opcodes), then random flips anywhere.
            var variants: [(Int, UInt8)] = []
            for i in 0..<min(512, bytes.count) { for b in 0..<8 { variants.append((i, UInt8(1) << UInt8(b))) } }
            for _ in 0..<1500 {
                variants.append((Int(generator.next() % UInt64(bytes.count)), UInt8(1) << UInt8(generator.next() % 8)))
            }
            for (i, mask) in variants {
                var v = bytes
                v[i] ^= mask
                _ = attempt(v, "\(name) flipped at \(i)")
            }
        }
    }

    func testRandomGarbageAfterValidPrefixes() throws {
        var generator = SplitMix64(seed: 7)
        for name in Self.fixtures {
            let bytes = try Fixtures.bytes(name)
            for _ in 0..<200 {
                let cut = Int(generator.next() % UInt64(bytes.count))
                var v = Array(bytes[..<cut])
                for _ in 0..<Int(generator.next() % 64) { v.append(UInt8(truncatingIfNeeded: generator.next())) }
                v += bytes[cut...].prefix(Int(generator.next() % 256))
                _ = attempt(v, "\(name) spliced at \(cut)")
            }
        }
    }
}

/// A small deterministic generator for the corruption loops.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
