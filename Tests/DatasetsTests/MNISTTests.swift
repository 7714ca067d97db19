// MNIST / FashionMNIST on the fixture IDX files against torchvision's tensors, and on Debian's
// real Fashion-MNIST when it is installed.
import Datasets
import Foundation
import ImageIO
import Tensors
import Testing
import Transforms

@Suite struct MNISTFixtureTests {
    let dir = Fixtures.path("idx")

    @Test(arguments: [MNISTSplit.train, .test])
    func samplesMatchTorchvision(split: MNISTSplit) throws {
        let e = Fixtures.section("mnist", split.rawValue)
        let plain = try MNIST(directory: dir, split: split)
        let mnistNorm = try MNIST(directory: dir, split: split, normalize: true)
        let fashion = try FashionMNIST(directory: dir, split: split, normalize: true)
        #expect(plain.count == e["count"] as! Int)
        #expect(plain.targets == e["targets"] as! [Int])
        #expect(fashion.targets == e["targets"] as! [Int])
        #expect(plain.classes == e["classes"] as! [String])
        #expect(fashion.classes == e["fashion_classes"] as! [String])
        var rng = RandomGenerator(seed: 0)
        for (k, pick) in (e["picks"] as! [Int]).enumerated() {
            #expect(matchesDigest(try plain.sample(at: pick, using: &rng).image, (e["plain"] as! [[String: Any]])[k]))
            #expect(matchesDigest(try mnistNorm.sample(at: pick, using: &rng).image, (e["mnist_normalized"] as! [[String: Any]])[k]))
            #expect(matchesDigest(try fashion.sample(at: pick, using: &rng).image, (e["fashion_normalized"] as! [[String: Any]])[k]))
        }
        let sums = (e["sums"] as! [NSNumber]).map(\.doubleValue)
        for i in 0..<plain.count {
            let s = try plain.sample(at: i, using: &rng).image.scalars.reduce(0.0) { $0 + Double($1) }
            #expect(abs(s - sums[i]) < 1e-9, "sample \(i)")
        }
    }

    @Test func gzipAndRawFilesAndTorchvisionLayout() throws {
        // The fixture's train split is gzip'd (two concatenated members), its test split raw.
        let tmp = TempDir()
        defer { tmp.cleanup() }
        for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            tmp.copy(dir + "/" + name, to: "MNIST/raw/" + name)
        }
        let direct = try MNIST(directory: dir)
        let layout = try MNIST(directory: tmp.path)
        #expect(layout.targets == direct.targets)
        var rng = RandomGenerator(seed: 0)
        #expect(try layout.sample(at: 3, using: &rng).image.scalars == direct.sample(at: 3, using: &rng).image.scalars)
        let idx = try IDXFile(contentsOf: dir + "/train-images-idx3-ubyte.gz")
        #expect(idx.elementType == .uint8 && idx.shape == [12, 28, 28] && idx.data.count == 12 * 784)
    }

    @Test func imageTransformsGetAOneChannelImage() throws {
        var data = try FashionMNIST(directory: dir, split: .test)
        let image = data.image(at: 2)
        #expect(image.channels == 1 && image.width == 28 && image.height == 28)
        data.transform = Pipeline(image: [CenterCrop(20)])
        data.normalization = FashionMNIST.normalization
        var rng = RandomGenerator(seed: 0)
        let t = try data.sample(at: 2, using: &rng).image
        #expect(t.shape == [1, 20, 20])
        #expect(t.scalars == FashionMNIST.normalization(toTensor(image.centerCropped(height: 20, width: 20))).scalars)
        #expect(data.directSampleShape == nil)  // a transform turns the direct path off
    }

    @Test func directBatchPathEqualsPerSamplePath() throws {
        for normalize in [false, true] {
            let data = try MNIST(directory: dir, normalize: normalize)
            #expect(data.directSampleShape == [1, 28, 28])
            let indices = [11, 0, 5, 5, 7]
            var out = [Float](repeating: .nan, count: indices.count * 784)
            let labels = try out.withUnsafeMutableBufferPointer { try data.writeSamples(indices, into: $0) }
            var rng = RandomGenerator(seed: 0)
            let expected = try indices.flatMap { try data.sample(at: $0, using: &rng).image.scalars }
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
            #expect(labels == indices.map { data.targets[$0] })
        }
    }
}

@Suite(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.debianDirectory),
                "Debian's Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct RealFashionMNISTTests {
    @Test func bothSplitsLoadWithTheirKnownContents() throws {
        let train = try FashionMNIST()
        let test = try FashionMNIST(split: .test)
        #expect(train.count == 60_000 && test.count == 10_000)
        #expect(Array(train.targets.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(Array(test.targets.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        for c in 0..<10 {
            #expect(train.targets.filter { $0 == c }.count == 6000)
            #expect(test.targets.filter { $0 == c }.count == 1000)
        }
        #expect(train.image(at: 0).pixels.reduce(0) { $0 + Int($1) } == 76247)
        #expect(test.image(at: 9999).pixels.reduce(0) { $0 + Int($1) } == 24390)
    }

    @Test func normalizedSampleMatchesTorchvision() throws {
        let train = try FashionMNIST(normalize: true)
        var rng = RandomGenerator(seed: 0)
        let first = try train.sample(at: 0, using: &rng).image
        #expect(first.shape == [1, 28, 28])
        #expect(first.scalars[14 * 28 + 14] == Float(1.600511074066162))
        #expect(abs(first.scalars.reduce(0.0) { $0 + Double($1) } - 211.85223795950878) < 1e-6)
        let last = try train.sample(at: 59_999, using: &rng).image
        #expect(abs(last.scalars.reduce(0.0) { $0 + Double($1) } - -449.84862265270203) < 1e-6)
    }

    @Test func fullEpochThroughTheDataLoader() throws {
        let train = try FashionMNIST(normalize: true)
        let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 3, workers: 2)
        #expect(loader.batchesPerEpoch == 938)
        var seen = [Int](repeating: 0, count: 60_000)
        var batches = 0
        let stream = loader.batches(epoch: 0, from: 0)
        while let b = try stream.next() {
            #expect(b.images.shape == [b.count, 1, 28, 28])
            for (k, i) in b.indices.enumerated() {
                seen[i] += 1
                #expect(b.labels[k] == train.targets[i])
            }
            batches += 1
        }
        #expect(batches == 938)
        #expect(seen.allSatisfy { $0 == 1 })
    }

    @Test func smallFolderIsTheFirstImagesOfEachClass() throws {
        // Datasets/fashion-mnist-small (Scripts/make_fashion_folder.py): NNNNN.png is image NNNNN.
        let train = try FashionMNIST()
        let folderRoot = Fixtures.repositoryDatasets.appendingPathComponent("fashion-mnist-small/train").path
        let folder = try ImageFolder(root: folderRoot, mode: .gray)
        #expect(folder.classes == ["Ankle_boot", "Bag", "Coat", "Dress", "Pullover", "Sandal", "Shirt", "Sneaker", "T-shirt_top", "Trouser"])
        #expect(folder.count == 2000)
        var rng = RandomGenerator(seed: 0)
        for (i, s) in folder.samples.enumerated() {
            let n = Int(URL(fileURLWithPath: s.path).deletingPathExtension().lastPathComponent)!
            let label = train.targets[n]
            #expect(folder.classes[s.label] == FashionMNIST.classNames[label].replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: " ", with: "_"))
            let a = try folder.sample(at: i, using: &rng).image.scalars
            let b = try train.sample(at: n, using: &rng).image.scalars
            #expect(a == b, "\(s.path)")
            if a != b { break }
        }
        // The first 200 of each class: no earlier image of a class is missing.
        let chosen = Set(folder.samples.map { Int(URL(fileURLWithPath: $0.path).deletingPathExtension().lastPathComponent)! })
        let last = chosen.max()!
        for n in 0...last where !chosen.contains(n) {
            let c = train.targets[n]
            #expect(chosen.filter { $0 < n && train.targets[$0] == c }.count == 200, "image \(n) of class \(c) was skipped early")
        }
    }
}
