// Reading CIFAR-10's two distributions into one PixelStore (CHW bytes + labels).
// Binary (`cifar-10-binary.tar.gz`): each batch file is a run of 3073-byte records, one label byte
// then 1024 red, 1024 green and 1024 blue bytes; `batches.meta.txt` lists the class names.
// Python (`cifar-10-python.tar.gz`, what torchvision downloads): each batch is a pickled dict
// {data: numpy uint8 array N×3072 in the same CHW order, labels: [int]}, `batches.meta` holds
// {label_names: [...]}; read with the Pickle module's allowlist unpickler (DataPickle), never executed.
import Pickle

enum CIFARFiles {
    static let imageBytes = 3 * 32 * 32
    static let recordBytes = 1 + imageBytes

    /// The store and class names of the training or test split under `directory`.
    static func read(directory: String, train: Bool, format: CIFARFormat) throws -> (PixelStore, [String]) {
        guard FileSystem.isDirectory(directory) else {
            throw DatasetError(.notFound, path: directory, "dataset directory \(directory) does not exist or is not a directory")
        }
        let (dir, binary) = try locate(directory, format)
        let names = train ? (1...5).map { "data_batch_\($0)" } : ["test_batch"]
        let classes = binary ? try binaryMeta(FileSystem.join(dir, "batches.meta.txt"))
                             : try pickleMeta(FileSystem.join(dir, "batches.meta"))
        var pixels: [UInt8] = [], labels: [Int] = []
        for name in names {
            let path = FileSystem.join(dir, binary ? name + ".bin" : name)
            guard FileSystem.isRegularFile(path) else {
                throw DatasetError(.notFound, path: path, "\(path): CIFAR-10 batch file not found")
            }
            let before = labels.count
            if binary { try readBinary(path, &pixels, &labels) } else { try readPickle(path, &pixels, &labels) }
            if let bad = labels[before...].firstIndex(where: { $0 < 0 || $0 >= classes.count }) {
                throw DatasetError.file(.corrupt, path, "label \(labels[bad]) of record \(bad - before) is not a class index (\(classes.count) classes)")
            }
        }
        return (PixelStore(pixels: pixels, labels: labels, channels: 3, height: 32, width: 32), classes)
    }

    /// The folder holding the batches, and whether they are binary.
    static func locate(_ directory: String, _ format: CIFARFormat) throws -> (String, Bool) {
        func has(_ dir: String, _ files: [String]) -> Bool { files.contains { FileSystem.isRegularFile(FileSystem.join(dir, $0)) } }
        let binaryFiles = ["data_batch_1.bin", "test_batch.bin"], pythonFiles = ["data_batch_1", "test_batch"]
        let binDir = FileSystem.join(directory, "cifar-10-batches-bin"), pyDir = FileSystem.join(directory, "cifar-10-batches-py")
        var candidates: [(String, Bool)] = []
        if format != .python { candidates += [(directory, true), (binDir, true)] }
        if format != .binary { candidates += [(directory, false), (pyDir, false)] }
        for (dir, binary) in candidates where has(dir, binary ? binaryFiles : pythonFiles) { return (dir, binary) }
        let wanted = format == .python ? "python batches (data_batch_1, test_batch)"
            : format == .binary ? "binary batches (data_batch_1.bin, test_batch.bin)" : "binary or python batches"
        throw DatasetError(.notFound, path: directory, "\(directory): no CIFAR-10 \(wanted) here or in cifar-10-batches-bin/-py")
    }

    static func binaryMeta(_ path: String) throws -> [String] {
        let bytes = try FileSystem.read(path)
        let names = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { line in
                var t = line.drop(while: \.isWhitespace)
                while t.last?.isWhitespace == true { t = t.dropLast() }
                return String(t)
            }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw DatasetError.file(.corrupt, path, "no class names") }
        return names
    }

    static func pickleMeta(_ path: String) throws -> [String] {
        guard FileSystem.isRegularFile(path) else { throw DatasetError.file(.notFound, path, "CIFAR-10 metadata file not found") }
        let meta = try unpickle(path)
        guard let list = meta["label_names"]?.items, !list.isEmpty else {
            throw DatasetError.file(.corrupt, path, "no label_names list in the metadata")
        }
        return try list.map {
            guard let s = $0.text else { throw DatasetError.file(.corrupt, path, "a label name is a \($0.kind)") }
            return s
        }
    }

    static func readBinary(_ path: String, _ pixels: inout [UInt8], _ labels: inout [Int]) throws {
        let bytes = try FileSystem.read(path)
        guard !bytes.isEmpty, bytes.count % recordBytes == 0 else {
            throw DatasetError.file(.corrupt, path, "\(bytes.count) bytes is not a whole number of \(recordBytes)-byte records")
        }
        let n = bytes.count / recordBytes
        pixels.reserveCapacity(pixels.count + n * imageBytes)
        bytes.withUnsafeBufferPointer { src in
            for r in 0..<n {
                labels.append(Int(src[r &* recordBytes]))
                pixels.append(contentsOf: UnsafeBufferPointer(rebasing: src[(r &* recordBytes &+ 1)..<((r &+ 1) &* recordBytes)]))
            }
        }
    }

    static func readPickle(_ path: String, _ pixels: inout [UInt8], _ labels: inout [Int]) throws {
        let batch = try unpickle(path)
        guard case .array(let data)? = batch["data"] else {
            throw DatasetError.file(.corrupt, path, "no 'data' numpy array in the batch (found \(batch["data"]?.kind ?? "nothing"))")
        }
        guard let list = (batch["labels"] ?? batch["fine_labels"])?.items else {
            throw DatasetError.file(.corrupt, path, "no 'labels' list in the batch")
        }
        let n = list.count
        guard data.elementType == .uint8, !data.fortranOrder, data.shape.first == n, data.count == n * imageBytes else {
            throw DatasetError.file(.corrupt, path, "'data' is \(data.elementType.rawValue) \(data.shape)\(data.fortranOrder ? " (Fortran order)" : ""), expected uint8 [\(n), \(imageBytes)] for \(n) labels")
        }
        for item in list {
            guard let v = item.int else { throw DatasetError.file(.corrupt, path, "a label is a \(item.kind)") }
            labels.append(v)
        }
        pixels.append(contentsOf: data.bytes)
    }

    static func unpickle(_ path: String) throws -> PickleData {
        do { return try DataPickle.load(contentsOf: path) } catch let e as PickleError {
            throw DatasetError(.corrupt, path: path, e.description)
        }
    }
}
