// ImageFolder against torchvision.datasets.ImageFolder on the fixture tree: classes, class_to_idx,
// sample order (os.walk's), pixels; and every error torchvision raises, with its file named.
import Datasets
import Foundation
import ImageIO
import Tensors
import Testing
import Transforms

@Suite struct ImageFolderTests {
    let root = Fixtures.path("folder")
    let expected = Fixtures.section("folder")

    func relative(_ path: String) -> String { String(path.dropFirst(root.count + 1)) }

    @Test func classesAndClassToIndexMatchTorchvision() throws {
        let folder = try ImageFolder(root: root)
        #expect(folder.classes == expected["classes"] as! [String])
        #expect(folder.classToIndex == expected["class_to_idx"] as! [String: Int])
        #expect(folder.classes == ["Zebra", "cat", "dog", "gray"])  // code-point order: upper case first
    }

    @Test func sampleOrderMatchesTorchvision() throws {
        let folder = try ImageFolder(root: root)
        let want = (expected["samples"] as! [[Any]]).map { ImageFolder.Sample(path: root + "/" + ($0[0] as! String), label: $0[1] as! Int) }
        #expect(folder.samples == want)
        // os.walk sorted by whole path: "sub", then "sub-x", then "sub/deeper".
        let cat = folder.samples.filter { $0.label == 1 }.map { relative($0.path) }
        #expect(cat == ["cat/a.png", "cat/b.png", "cat/img10.png", "cat/img2.png", "cat/sub/c.png", "cat/sub-x/d.png", "cat/sub/deeper/e.jpeg"])
        #expect(!folder.samples.contains { $0.path.hasSuffix("notes.txt") })
        #expect(folder.targets == want.map(\.label))
        #expect(folder.count == 14)
    }

    @Test func isValidFileReplacesTheExtensionFilter() throws {
        let folder = try ImageFolder(root: root, isValidFile: { $0.hasSuffix(".png") })
        let want = (expected["png_only_samples"] as! [[Any]]).map { ImageFolder.Sample(path: root + "/" + ($0[0] as! String), label: $0[1] as! Int) }
        #expect(folder.samples == want)
    }

    @Test func pixelsMatchTorchvisionToTensor() throws {
        let folder = try ImageFolder(root: root)
        let pixels = expected["pixels"] as! [String: [String: Any]]
        var rng = RandomGenerator(seed: 0)
        var compared = 0
        for (i, s) in folder.samples.enumerated() {
            guard let e = pixels[relative(s.path)] else { continue }
            let (t, label) = try folder.sample(at: i, using: &rng)
            #expect(label == e["label"] as! Int)
            #expect(t.shape == e["shape"] as! [Int], "\(s.path)")
            #expect(t.scalars == (e["values"] as! [NSNumber]).map(\.floatValue), "\(s.path)")
            compared += 1
        }
        #expect(compared == 13)  // all but the corrupt PNG, JPEGs included (libjpeg-turbo = Pillow)
    }

    @Test func grayModeMatchesPillowConvertL() throws {
        let folder = try ImageFolder(root: root, mode: .gray)
        let pixels = expected["gray_pixels"] as! [String: [String: Any]]
        var rng = RandomGenerator(seed: 0)
        for (i, s) in folder.samples.enumerated() {
            guard let e = pixels[relative(s.path)] else { continue }
            let (t, _) = try folder.sample(at: i, using: &rng)
            #expect(t.shape == e["shape"] as! [Int], "\(s.path)")
            #expect(t.scalars == (e["values"] as! [NSNumber]).map(\.floatValue), "\(s.path)")
        }
        #expect(pixels.count == 4)
    }

    @Test func transformPipelineRunsOnEachSample() throws {
        let norm = Normalize(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
        let folder = try ImageFolder(root: root, transform: Pipeline(image: [CenterCrop(2)], tensor: [norm]))
        var rng = RandomGenerator(seed: 0)
        let (t, _) = try folder.sample(at: 0, using: &rng)
        let raw = try Image(contentsOf: folder.samples[0].path)
        #expect(t.shape == [3, 2, 2])
        #expect(t.scalars == norm(toTensor(raw.centerCropped(height: 2, width: 2))).scalars)
    }

    @Test func corruptImageErrorNamesTheFile() throws {
        let folder = try ImageFolder(root: root)
        let index = folder.samples.firstIndex { $0.path.hasSuffix("corrupt.png") }!
        var rng = RandomGenerator(seed: 0)
        let error = #expect(throws: ImageError.self) { try folder.sample(at: index, using: &rng) }
        #expect(error?.file == root + "/dog/corrupt.png")
        #expect(error?.description.hasPrefix(root + "/dog/corrupt.png: ") == true)
    }

    @Test func transformFailureNamesTheFile() throws {
        // RandomCrop larger than the image (no padding) fails in the transform, not the decoder.
        let folder = try ImageFolder(root: root, transform: Pipeline(image: [RandomCrop(64)]))
        var rng = RandomGenerator(seed: 0)
        let error = #expect(throws: DatasetError.self) { try folder.sample(at: 0, using: &rng) }
        #expect(error?.kind == .sample)
        #expect(error?.message.hasPrefix(folder.samples[0].path + ": transform failed") == true)
    }

    @Test func missingRootIsNamed() {
        let missing = "/nonexistent/swiftvision/data"
        let error = #expect(throws: DatasetError.self) { try ImageFolder(root: missing) }
        #expect(error?.kind == .notFound)
        #expect(error?.description == "dataset root /nonexistent/swiftvision/data does not exist")
    }

    @Test func rootThatIsAFileIsNamed() {
        let file = Fixtures.path("expected.json")
        let error = #expect(throws: DatasetError.self) { try ImageFolder(root: file) }
        #expect(error?.description == "dataset root \(file) is not a directory")
    }

    @Test func noClassFolders() {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        tmp.file("loose.png", [1, 2, 3])
        let error = #expect(throws: DatasetError.self) { try ImageFolder(root: tmp.path) }
        #expect(error?.kind == .noClasses)
        #expect(error?.description.hasPrefix("no class folders found in \(tmp.path)") == true)
    }

    @Test func emptyClassesAreListedWithTheExtensions() {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        tmp.copy(Fixtures.path("folder/cat/a.png"), to: "ok/a.png")
        tmp.file("b_empty/readme.txt", Array("hello".utf8))
        tmp.directory("a_empty/nested")
        let error = #expect(throws: DatasetError.self) { try ImageFolder(root: tmp.path) }
        #expect(error?.kind == .emptyClasses)
        #expect(error?.description == "\(tmp.path): found no valid file for the classes a_empty, b_empty; supported extensions are: "
            + ".jpg, .jpeg, .png")
        // With isValidFile the extension list is not mentioned.
        let custom = #expect(throws: DatasetError.self) { try ImageFolder(root: tmp.path, isValidFile: { $0.hasSuffix(".txt") }) }
        #expect(custom?.description == "\(tmp.path): found no valid file for the classes a_empty, ok")
    }

    @Test func onlyDecodableFormatsAreSamples() throws {
        // torchvision would take .bmp/.tif/.webp; ImageIO cannot decode them, so they are left out,
        // and a class holding only such files is an error that says so.
        let tmp = TempDir()
        defer { tmp.cleanup() }
        tmp.copy(Fixtures.path("folder/cat/a.png"), to: "ok/a.png")
        tmp.file("ok/b.bmp", [0x42, 0x4D, 0, 0])
        tmp.file("only_bmp/x.bmp", [0x42, 0x4D, 0, 0])
        tmp.file("only_bmp/y.TIFF", [0x49, 0x49, 0x2A, 0])
        let error = #expect(throws: DatasetError.self) { try ImageFolder(root: tmp.path) }
        #expect(error?.kind == .emptyClasses)
        #expect(error?.description == "\(tmp.path): found no valid file for the classes only_bmp; supported extensions are: "
            + ".jpg, .jpeg, .png (2 image files of other formats, e.g. .bmp, .tif, .webp, were left out: only JPEG and PNG are decoded)")
        try FileManager.default.removeItem(atPath: tmp.path + "/only_bmp")
        let folder = try ImageFolder(root: tmp.path)
        #expect(folder.samples.map { String($0.path.dropFirst(tmp.path.count + 1)) } == ["ok/a.png"])
    }

    @Test func symlinksAreFollowedAndCyclesDoNotHang() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        let fm = FileManager.default
        tmp.copy(Fixtures.path("folder/cat/a.png"), to: "real/x.png")
        tmp.copy(Fixtures.path("folder/cat/b.png"), to: "elsewhere/y.png")
        tmp.directory("data/cls")
        try fm.createSymbolicLink(atPath: tmp.path + "/data/linked", withDestinationPath: tmp.path + "/real")  // a class via symlink
        try fm.createSymbolicLink(atPath: tmp.path + "/data/cls/sub", withDestinationPath: tmp.path + "/elsewhere")  // a subfolder via symlink
        try fm.createSymbolicLink(atPath: tmp.path + "/data/cls/loop", withDestinationPath: tmp.path + "/data/cls")  // a cycle
        try fm.createSymbolicLink(atPath: tmp.path + "/data/cls/broken.png", withDestinationPath: tmp.path + "/missing.png")
        let folder = try ImageFolder(root: tmp.path + "/data")
        #expect(folder.classes == ["cls", "linked"])
        let rel = folder.samples.map { String($0.path.dropFirst(tmp.path.count + 6)) }
        // A broken link is a file to os.walk, listed by name; the link back to "cls" is not walked
        // again (Python would repeat the folder until the path got too long).
        #expect(rel == ["cls/broken.png", "cls/sub/y.png", "linked/x.png"])
        var rng = RandomGenerator(seed: 0)
        #expect(throws: ImageError.self) { try folder.sample(at: 0, using: &rng) }
    }

    @Test func hiddenFoldersAreClassesAsInTorchvision() throws {
        let tmp = TempDir()
        defer { tmp.cleanup() }
        tmp.copy(Fixtures.path("folder/cat/a.png"), to: ".hidden/a.png")
        tmp.copy(Fixtures.path("folder/cat/a.png"), to: "visible/.dot.png")
        let folder = try ImageFolder(root: tmp.path)
        #expect(folder.classes == [".hidden", "visible"])
        #expect(folder.samples.map(\.label) == [0, 1])
    }

    @Test func explicitSampleListsAndSplitsWithDifferentTransforms() throws {
        let folder = try ImageFolder(root: root)
        let readable = folder.samples.filter { !$0.path.hasSuffix("corrupt.png") }
        let clean = ImageFolder(root: root, classes: folder.classes, samples: readable)
        #expect(clean.count == 13)
        let split = randomSplit(count: clean.count, valFraction: 0.25, seed: 7)
        #expect(split.train.count == 10 && split.val.count == 3)
        let train = Subset(clean.withTransform(Pipeline(image: [RandomResizedCrop(3)])), indices: split.train)
        let val = Subset(clean.withTransform(Pipeline(image: [CenterCrop(2)])), indices: split.val)
        var rng = RandomGenerator(seed: 1)
        #expect(try train.sample(at: 0, using: &rng).image.shape == [3, 3, 3])
        #expect(try val.sample(at: 0, using: &rng).image.shape == [3, 2, 2])
        #expect(train.classes == folder.classes)
        #expect(Set(split.train + split.val) == Set(0..<13))
    }
}
