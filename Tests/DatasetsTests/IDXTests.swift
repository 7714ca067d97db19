// Malformed IDX files and MNIST directories: each gives an error naming the file and the problem.
import Datasets
import Foundation
import Tensors
import Testing

/// IDX bytes: the magic, big-endian dimensions, then `payload`.
func idx(type: UInt8 = 0x08, dims: [UInt32], payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { out += [UInt8(d >> 24), UInt8((d >> 16) & 0xFF), UInt8((d >> 8) & 0xFF), UInt8(d & 0xFF)] }
    return out + payload
}

@Suite struct IDXTests {
    func parseError(_ bytes: [UInt8]) -> DatasetError? {
        #expect(throws: DatasetError.self) {
            _ = try bytes.withUnsafeBytes { try IDXFile(parsing: $0, name: "x.idx") }
        }
    }

    @Test func goodFilesOfEveryType() throws {
        let f = try idx(type: 0x0B, dims: [2, 3], payload: Array(0..<12)).withUnsafeBytes { try IDXFile(parsing: $0, name: "ok") }
        #expect(f.elementType == .int16 && f.shape == [2, 3] && f.data == Array(0..<12))
        for (type, size) in [(UInt8(0x08), 1), (0x09, 1), (0x0B, 2), (0x0C, 4), (0x0D, 4), (0x0E, 8)] {
            let g = try idx(type: type, dims: [3], payload: [UInt8](repeating: 7, count: 3 * size)).withUnsafeBytes { try IDXFile(parsing: $0, name: "t") }
            #expect(g.elementType.size == size)
        }
    }

    @Test func badMagic() {
        let e = parseError([1, 2, 8, 3] + [UInt8](repeating: 0, count: 20))
        #expect(e?.kind == .corrupt)
        #expect(e?.description == "x.idx: IDX: bad magic 01 02 08 03 (expected 00 00 <type> <dimensions>)")
    }

    @Test func unknownTypeAndDimensionCount() {
        #expect(parseError([0, 0, 0x07, 1, 0, 0, 0, 1, 5])?.description == "x.idx: IDX: unknown element type 0x7 (expected 08, 09, 0b, 0c, 0d or 0e)")
        #expect(parseError([0, 0, 0x08, 0])?.description == "x.idx: IDX: 0 dimensions (expected 1 to 8)")
        #expect(parseError([0, 0])?.description == "x.idx: IDX: file is 2 bytes, shorter than the 4-byte magic")
        #expect(parseError([])?.description == "x.idx: IDX: file is 0 bytes, shorter than the 4-byte magic")
    }

    @Test func truncatedHeaderAndData() {
        #expect(parseError([0, 0, 8, 3, 0, 0, 0, 5])?.description == "x.idx: IDX: truncated header: 3 dimensions need 16 bytes, the file has 8")
        #expect(parseError(idx(dims: [5, 28, 28], payload: [UInt8](repeating: 1, count: 100)))?.description
            == "x.idx: IDX: truncated: shape [5, 28, 28] of uint8 needs 3920 data bytes, the file has 100")
    }

    @Test func extraBytesAreASizeMismatch() {
        #expect(parseError(idx(dims: [2, 2], payload: [UInt8](repeating: 1, count: 5)))?.description
            == "x.idx: IDX: size mismatch: shape [2, 2] of uint8 needs 4 data bytes, the file has 5")
    }

    @Test func hugeDimensionsDoNotOverflow() {
        let e = parseError(idx(type: 0x0E, dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1, 2, 3]))
        #expect(e?.description.hasPrefix("x.idx: IDX: truncated: shape [4294967295, 4294967295, 4294967295] of float64 needs more than") == true)
    }

    @Test func corruptGzipFiles() {
        let truncated = Fixtures.path("idx_bad/truncated-images-idx3-ubyte.gz")
        let t = #expect(throws: DatasetError.self) { try IDXFile(contentsOf: truncated) }
        #expect(t?.description.hasPrefix("\(truncated): gzip: compressed data ends early") == true)
        let badCRC = Fixtures.path("idx_bad/badcrc-images-idx3-ubyte.gz")
        let c = #expect(throws: DatasetError.self) { try IDXFile(contentsOf: badCRC) }
        #expect(c?.description == "\(badCRC): gzip: corrupt compressed data (incorrect data check)")
    }

    @Test func gzipLimitStopsDecompressionBombs() {
        let file = Fixtures.path("idx/train-images-idx3-ubyte.gz")
        let e = #expect(throws: DatasetError.self) { try IDXFile(contentsOf: file, byteLimit: 1000) }
        #expect(e?.description == "\(file): gzip: decompresses to more than the limit of 1000 bytes")
    }
}

@Suite struct MNISTDirectoryErrorTests {
    /// A temporary MNIST directory with the test split written from the given bytes.
    func directory(images: [UInt8], labels: [UInt8]) -> TempDir {
        let tmp = TempDir()
        tmp.file("t10k-images-idx3-ubyte", images)
        tmp.file("t10k-labels-idx1-ubyte", labels)
        return tmp
    }

    func loadError(images: [UInt8], labels: [UInt8]) -> (DatasetError?, String) {
        let tmp = directory(images: images, labels: labels)
        defer { tmp.cleanup() }
        let e = #expect(throws: DatasetError.self) { try MNIST(directory: tmp.path, split: .test) }
        return (e, tmp.path)
    }

    let fiveImages = idx(dims: [5, 28, 28], payload: [UInt8](repeating: 9, count: 5 * 784))

    @Test func missingDirectoryAndFiles() {
        let e = #expect(throws: DatasetError.self) { try MNIST(directory: "/nonexistent/mnist") }
        #expect(e?.description == "dataset directory /nonexistent/mnist does not exist or is not a directory")
        let tmp = TempDir()
        defer { tmp.cleanup() }
        let f = #expect(throws: DatasetError.self) { try FashionMNIST(directory: tmp.path) }
        #expect(f?.kind == .notFound)
        #expect(f?.description == "\(tmp.path): neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz found (nor in FashionMNIST/raw)")
    }

    @Test func countsMustAgree() {
        let (e, dir) = loadError(images: fiveImages, labels: idx(dims: [4], payload: [1, 2, 3, 4]))
        #expect(e?.description == "\(dir)/t10k-labels-idx1-ubyte: 4 labels but 5 images in \(dir)/t10k-images-idx3-ubyte")
    }

    @Test func labelsMustBeClassIndices() {
        let (e, dir) = loadError(images: fiveImages, labels: idx(dims: [5], payload: [1, 2, 10, 4, 0]))
        #expect(e?.description == "\(dir)/t10k-labels-idx1-ubyte: label 10 of sample 2 is not below 10")
    }

    @Test func typesAndRanksAreChecked() {
        let (e, dir) = loadError(images: idx(type: 0x0C, dims: [1, 2, 2], payload: [UInt8](repeating: 0, count: 16)),
                                 labels: idx(dims: [1], payload: [0]))
        #expect(e?.description == "\(dir)/t10k-images-idx3-ubyte: expected 8-bit images N×H×W, found int32 of shape [1, 2, 2]")
        let (l, dir2) = loadError(images: fiveImages, labels: idx(dims: [5, 1], payload: [0, 1, 2, 3, 4]))
        #expect(l?.description == "\(dir2)/t10k-labels-idx1-ubyte: expected 8-bit labels N, found uint8 of shape [5, 1]")
    }

    @Test func aCorruptFileInTheDirectoryIsNamed() {
        let (e, dir) = loadError(images: [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], labels: idx(dims: [1], payload: [0]))
        #expect(e?.description.hasPrefix("\(dir)/t10k-images-idx3-ubyte: gzip: ") == true)
    }
}

@Suite struct MalformedInputTests {
    /// Every prefix and 3000 random corruptions of a gzip'd and a raw IDX file: each either parses
    /// or throws a DatasetError naming the file; nothing traps or hangs.
    @Test func truncatedAndCorruptedIDXNeverCrash() throws {
        for name in ["idx/train-labels-idx1-ubyte.gz", "idx/t10k-images-idx3-ubyte", "idx/train-images-idx3-ubyte.gz"] {
            let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
            var outcomes = (parsed: 0, rejected: 0)
            func attempt(_ bytes: [UInt8]) {
                do {
                    _ = try IDXFile(bytes: bytes, name: "fuzz")
                    outcomes.parsed += 1
                } catch let e as DatasetError {
                    #expect(e.path == "fuzz" && e.message.hasPrefix("fuzz: "))
                    outcomes.rejected += 1
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
            for n in stride(from: 0, to: good.count, by: max(1, good.count / 600)) { attempt(Array(good[..<n])) }
            var rng = RandomGenerator(seed: 11)
            for _ in 0..<1000 {
                var bad = good
                for _ in 0..<(1 + Int(rng.next() % 3)) { bad[Int(rng.next() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                attempt(bad)
            }
            #expect(outcomes.rejected > 600, "\(name): \(outcomes)")
        }
    }
}
