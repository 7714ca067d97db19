import Foundation
import XCTest
import Checkpoints
import Pickle
import Tensors
import TestSupport

/// The fixtures written by Scripts/make_checkpoint_fixtures.py.
enum Fixtures: FixtureFolder {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    struct Tensor {
        let name: String
        let dtype: String
        let shape: [Int]
        let values: [Float]
    }

    /// expected.json: fixture name → the tensors the loader must return, in order.
    nonisolated(unsafe) static let expected: [String: Any] = jsonObject("expected.json")

    static func expectedTensors(_ fixture: String) -> [Tensor] {
        let list = expected[fixture] as! [[String: Any]]
        return list.map {
            Tensor(name: $0["name"] as! String, dtype: $0["dtype"] as! String, shape: $0["shape"] as! [Int],
                   values: ($0["values"] as! [NSNumber]).map { Float($0.doubleValue) })
        }
    }
}

/// Asserts that `dict` holds exactly `expected`: same names in the same order, dtypes, shapes and
/// bit-identical values.
func assertMatches(_ dict: StateDict, _ expected: [Fixtures.Tensor], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(dict.keys, expected.map(\.name), "names and order", file: file, line: line)
    for e in expected {
        guard let t = dict[e.name] else { XCTFail("missing \(e.name)", file: file, line: line); continue }
        XCTAssertEqual(dict.dtype(of: e.name)?.rawValue, e.dtype, "dtype of \(e.name)", file: file, line: line)
        XCTAssertEqual(t.shape, e.shape, "shape of \(e.name)", file: file, line: line)
        let got = t.scalars
        XCTAssertEqual(got.count, e.values.count, "count of \(e.name)", file: file, line: line)
        let same = zip(got, e.values).allSatisfy { $0.bitPattern == $1.bitPattern }
        XCTAssertTrue(same, "values of \(e.name): got \(got.prefix(6)), expected \(e.values.prefix(6))", file: file, line: line)
    }
}

/// Asserts that `body` throws a `CheckpointError` (or, for data pickles, a `PickleError`) whose
/// reason contains `fragment`.
func assertRejects(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing \"\(fragment)\"", file: file, line: line)
    } catch let e as CheckpointError {
        XCTAssertTrue(e.reason.contains(fragment), "error \"\(e.reason)\" does not mention \"\(fragment)\"", file: file, line: line)
    } catch let e as PickleError {
        XCTAssertTrue(e.reason.contains(fragment), "error \"\(e.reason)\" does not mention \"\(fragment)\"", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// A legacy-format file (magic, protocol 1001, empty sys_info) whose object pickle is `pickle`,
/// followed by an empty storage-key list: the smallest file that reaches the unpickler.
func legacyFile(objectPickle pickle: [UInt8]) -> [UInt8] {
    let magic: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]
    let version: [UInt8] = [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]
    let sysInfo: [UInt8] = [0x80, 0x02, 0x7d, 0x2e]
    let keys: [UInt8] = [0x80, 0x02, 0x5d, 0x2e]
    return magic + version + sysInfo + pickle + keys
}
