// torchvision's find_classes and make_dataset (torchvision/datasets/folder.py), reimplemented:
// - classes are the sorted names of the root's subdirectories (os.scandir's is_dir follows
//   symlinks; hidden directories count, as in torchvision);
// - each class folder is walked like `sorted(os.walk(dir, followlinks=True))`: the directories
//   are ordered by their whole path string, and the file names sorted within each directory, so
//   "a/x-y" comes before "a/x/z" ('-' < '/'), exactly as Python orders them;
// - a file is kept if `isValidFile(path)` or, by default, if its lowercased path ends with one of
//   the extensions of the formats ImageIO decodes (`decodableExtensions`: .jpg, .jpeg, .png). This
//   is where we differ from torchvision, whose IMG_EXTENSIONS (`imageExtensions`) also take .bmp,
//   .tif, .webp, ... that Pillow reads and we do not: accepting them would make a folder of such
//   files "train" on nothing. Files with those extensions are counted, and a class left empty by
//   the filter says how many it ignored.
// Strings are ordered by code point (UTF-8 bytes), Python's order, not Swift's `<`. One
// deviation: a symlink that leads back to a directory being walked is not followed again (Python
// would loop until the path is too long).

import Traps

extension ImageFolder {
    /// torchvision's IMG_EXTENSIONS, compared case-insensitively with the end of each path.
    public static let imageExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

    /// The extensions of the formats ImageIO decodes (`ImageFormat`), the default filter.
    public static let decodableExtensions = [".jpg", ".jpeg", ".png"]

    /// Whether `path` ends with one of `imageExtensions` (ignoring case), as torchvision's
    /// `has_file_allowed_extension`.
    public static func hasImageExtension(_ path: String) -> Bool {
        let lower = path.lowercased()
        return imageExtensions.contains { lower.hasSuffix($0) }
    }

    /// Whether `path` ends with one of `decodableExtensions` (ignoring case).
    public static func hasDecodableExtension(_ path: String) -> Bool {
        let lower = path.lowercased()
        return decodableExtensions.contains { lower.hasSuffix($0) }
    }

    /// The sorted names of the subdirectories of `root` (torchvision's `find_classes`).
    public static func findClasses(in root: String) throws -> [String] {
        guard FileSystem.exists(root) else {
            throw DatasetError(.notFound, path: root, "dataset root \(root) does not exist")
        }
        guard FileSystem.isDirectory(root) else {
            throw DatasetError(.notFound, path: root, "dataset root \(root) is not a directory")
        }
        let classes = try FileSystem.entries(of: root).directories.sorted(by: pythonOrder)
        guard !classes.isEmpty else {
            throw DatasetError(.noClasses, path: root, "no class folders found in \(root) (each class is a subdirectory of images)")
        }
        return classes
    }

    /// The (path, class index) of every valid file under `root/<class>` for each class of
    /// `classes` (class index = position in `classes`), in torchvision's order
    /// (`make_dataset`). Throws if a class folder holds no valid file. The default filter is
    /// `hasDecodableExtension`.
    public static func makeSamples(root: String, classes: [String],
                                   isValidFile: ((String) throws -> Bool)? = nil) throws -> [Sample] {
        trapUnless(!classes.isEmpty, "ImageFolder.makeSamples: no classes")
        let index = Dictionary(classes.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var samples: [Sample] = []
        var empty: [String] = []
        var undecodable = 0
        for name in classes.sorted(by: pythonOrder) {
            let classDir = FileSystem.join(root, name)
            guard FileSystem.isDirectory(classDir) else { continue }  // as torchvision: skipped, then reported empty
            let before = samples.count
            var ignored = 0
            for (dir, files) in walk(classDir) {
                for file in files {
                    let path = FileSystem.join(dir, file)
                    let valid = try isValidFile.map { try $0(path) } ?? hasDecodableExtension(path)
                    if valid {
                        samples.append(Sample(path: path, label: index[name]!))
                    } else if isValidFile == nil && hasImageExtension(path) {
                        ignored += 1
                    }
                }
            }
            if samples.count == before {
                empty.append(name)
                undecodable += ignored
            }
        }
        if !empty.isEmpty {
            var message = "\(root): found no valid file for the classes \(empty.sorted(by: pythonOrder).joined(separator: ", "))"
            if isValidFile == nil {
                message += "; supported extensions are: \(decodableExtensions.joined(separator: ", "))"
                if undecodable > 0 {
                    message += " (\(undecodable) image file\(undecodable == 1 ? "" : "s") of other formats, e.g. .bmp, .tif, .webp, were left out: only JPEG and PNG are decoded)"
                }
            }
            throw DatasetError(.emptyClasses, path: root, message)
        }
        return samples
    }

    /// Every directory under `top` (itself included) with its sorted file names, ordered as
    /// `sorted(os.walk(top, followlinks=True))`. Unreadable subdirectories are skipped, as os.walk does.
    static func walk(_ top: String) -> [(directory: String, files: [String])] {
        var found: [(directory: String, files: [String])] = []
        var ancestors = Set<DirectoryID>()
        func visit(_ dir: String) {
            guard let id = FileSystem.directoryID(dir), ancestors.insert(id).inserted else { return }
            defer { ancestors.remove(id) }
            guard let (subdirectories, files) = try? FileSystem.entries(of: dir) else { return }
            found.append((dir, files.sorted(by: pythonOrder)))
            for sub in subdirectories { visit(FileSystem.join(dir, sub)) }
        }
        visit(top)
        return found.sorted { pythonOrder($0.directory, $1.directory) }
    }
}
