// Loads the loss, optimizer and scheduler fixtures written by Scripts/make_optim_fixtures.py.

import Foundation
import NN
import Tensors
import TestSupport

enum OptimFixtures: FixtureFolder {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// A JSON value of the fixtures' `args` objects.
    enum Arg: Decodable {
        case number(Double), bool(Bool), string(String), numbers([Double]), tensor(TensorData), objects([[String: Arg]])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([Double].self) { self = .numbers(a) }
            else if let o = try? c.decode([[String: Arg]].self) { self = .objects(o) }
            else { self = .tensor(try c.decode(TensorData.self)) }
        }
        var double: Double { if case .number(let v) = self { return v }; fatalError("not a number: \(self)") }
        var int: Int { Int(double) }
        var bool: Bool { if case .bool(let v) = self { return v }; fatalError("not a bool: \(self)") }
        var string: String { if case .string(let v) = self { return v }; fatalError("not a string: \(self)") }
        var numbers: [Double] { if case .numbers(let v) = self { return v }; fatalError("not a list: \(self)") }
        var objectList: [[String: Arg]] { if case .objects(let v) = self { return v }; fatalError("not a list of objects: \(self)") }
        var tensor: Tensor { if case .tensor(let v) = self { return v.tensor }; fatalError("not a tensor: \(self)") }
    }

    struct LossCase: Decodable, CustomStringConvertible {
        let name: String
        let kind: String
        let args: [String: Arg]
        let input: TensorData
        let target: TensorData
        let output: TensorData
        let gradOutput: TensorData
        let gradInput: TensorData
        var description: String { name }
    }

    struct Step: Decodable {
        let loss: Float
        let state: [String: TensorData]
    }

    struct Run: Decodable, CustomStringConvertible {
        let name: String
        let optimizer: String
        let args: [String: Arg]
        let labelSmoothing: Float
        let steps: [Step]
        var description: String { name }
    }

    struct OptimFile: Decodable {
        let initial: [[Entry]]
        let input: TensorData
        let targets: [Int]
        let runs: [Run]
        /// `initial` holds [name, tensor] pairs.
        enum Entry: Decodable {
            case name(String), tensor(TensorData)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .name(s) } else { self = .tensor(try c.decode(TensorData.self)) }
            }
        }
        var initialState: [(String, Tensor)] {
            initial.map { pair in
                guard case .name(let n) = pair[0], case .tensor(let t) = pair[1] else { fatalError("bad initial entry") }
                return (n, t.tensor)
            }
        }
    }

    struct SchedulerCase: Decodable, CustomStringConvertible {
        let name: String
        let kind: String
        let optimizer: String
        let args: [String: Arg]
        let lrs: [Double]
        let momentums: [Double]
        var description: String { name }
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) -> T { decode(T.self, name + ".json") }

    struct CaseList<T: Decodable>: Decodable { let cases: [T] }

    static let lossCases: [LossCase] = load("losses", as: CaseList<LossCase>.self).cases
    static let optim: OptimFile = load("optim", as: OptimFile.self)
    static let schedulerCases: [SchedulerCase] = load("schedulers", as: CaseList<SchedulerCase>.self).cases

    /// Largest |a − b| / (|b| + floor) over the elements, for messages and checks.
    static func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float) -> Float {
        precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
        var worst: Float = 0
        for (x, y) in zip(a, b) { worst = Swift.max(worst, Swift.abs(x - y) / (Swift.abs(y) + floor)) }
        return worst
    }
}
