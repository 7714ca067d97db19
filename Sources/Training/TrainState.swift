// Everything besides the model's weights that a run needs to continue exactly where it stopped:
// the position (epoch, batch), the optimizer's buffers and hyper-parameters, the scheduler's
// position, the process-wide random generator (dropout draws from it), the configuration and the
// running sums of the epoch in progress (so a resumed epoch reports the same train loss).
//
// In a checkpoint it lives under the reserved prefix `train_state.`: tensors
// `train_state.optimizer.<name>` (e.g. `train_state.optimizer.3.momentum_buffer`) and metadata keys
//   train_state.epoch       epoch (0-based) the run continues with
//   train_state.batch       batches of that epoch already trained (0 at an epoch boundary)
//   train_state.step        optimizer steps taken in the whole run
//   train_state.optimizer   JSON {"kind": "SGD", "scalars": [["lr", 0.1], ["0.step", 3], ...]}
//   train_state.scheduler   JSON `SchedulerState` (absent without a scheduler)
//   train_state.rng         JSON: the state of the process-wide TorchGenerator (624 words, position, cached normal)
//   train_state.config      JSON `TrainingConfig`
//   train_state.progress    JSON `EpochProgress` of the epoch in progress
//   train_state.history     JSON [EpochMetrics] of every completed epoch: the record the metrics
//                           file is rewritten from on resume (absent in files written before it)
//   train_state.world_size  processes of the data-parallel run that wrote it (absent: 1)
// Doubles and UInt64 round-trip exactly through Foundation's JSON coders.

import Foundation
import NN
import Tensors

/// Running sums of the epoch in progress.
public struct EpochProgress: Codable, Sendable, Equatable {
    /// Σ batch loss × batch size.
    public var lossSum: Double = 0
    /// Samples whose top-1 prediction was right.
    public var correct: Int = 0
    /// Samples trained on.
    public var samples: Int = 0
    /// Seconds spent in training steps.
    public var seconds: Double = 0

    public init() {}

    /// Mean loss per sample so far (0 before the first batch).
    public var meanLoss: Double { samples > 0 ? lossSum / Double(samples) : 0 }
    /// Top-1 accuracy so far, in [0, 1].
    public var accuracy: Double { samples > 0 ? Double(correct) / Double(samples) : 0 }
}

/// The training state a checkpoint carries beside the model's weights.
public struct TrainState: Sendable {
    /// Epoch (0-based) the run continues with; equals `config.epochs` when the run is complete.
    public var epoch: Int
    /// Batches of `epoch` already trained (0 at an epoch boundary).
    public var batch: Int
    /// Optimizer steps taken in the whole run.
    public var step: Int
    /// The optimizer's buffers and hyper-parameters.
    public var optimizer: OptimizerState
    /// The scheduler's position (nil without a scheduler).
    public var scheduler: SchedulerState?
    /// The process-wide random generator (dropout, random layers).
    public var rng: TorchGenerator
    /// The run's configuration.
    public var config: TrainingConfig
    /// Running sums of epoch `epoch` up to batch `batch`.
    public var progress: EpochProgress
    /// The metrics of epochs 1...`epoch`, in order; nil in checkpoints written before it was recorded.
    public var history: [EpochMetrics]?
    /// The processes of the data-parallel run that wrote the state (1: a single process); `batch`
    /// counts batches of that run's shards.
    public var worldSize: Int

    public init(epoch: Int, batch: Int, step: Int, optimizer: OptimizerState, scheduler: SchedulerState?,
                rng: TorchGenerator, config: TrainingConfig, progress: EpochProgress = EpochProgress(),
                history: [EpochMetrics]? = nil, worldSize: Int = 1) {
        self.epoch = epoch; self.batch = batch; self.step = step; self.optimizer = optimizer
        self.scheduler = scheduler; self.rng = rng; self.config = config; self.progress = progress
        self.history = history; self.worldSize = worldSize
    }

    /// Whether every epoch of the configuration is done.
    public var isComplete: Bool { epoch >= config.epochs }

    /// The reserved prefix of training-state tensors and metadata keys.
    public static let prefix = "train_state."
    static let tensorPrefix = prefix + "optimizer."
}

// MARK: - Encoding into tensors and metadata

extension TrainState {
    private struct OptimizerScalars: Codable {
        var kind: String
        var scalars: [[ScalarField]]
    }

    /// A name or a value in `[["lr", 0.1], ...]`.
    private enum ScalarField: Codable {
        case name(String), value(Double)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .name(s) } else { self = .value(try c.decode(Double.self)) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .name(let s): try c.encode(s)
            case .value(let v): try c.encode(v)
            }
        }
    }

    /// The tensors (`train_state.optimizer.<name>`) and metadata entries of this state.
    func encoded() throws -> (tensors: [(String, Tensor)], metadata: [String: String]) {
        func json<T: Encodable>(_ value: T) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        var m: [String: String] = [:]
        let p = Self.prefix
        m[p + "epoch"] = String(epoch)
        m[p + "batch"] = String(batch)
        m[p + "step"] = String(step)
        m[p + "optimizer"] = try json(OptimizerScalars(kind: optimizer.kind,
                                                       scalars: optimizer.scalars.map { [.name($0.name), .value($0.value)] }))
        if let scheduler { m[p + "scheduler"] = try json(scheduler) }
        m[p + "rng"] = try json(rng)
        m[p + "config"] = try json(config)
        m[p + "progress"] = try json(progress)
        if let history { m[p + "history"] = try json(history) }
        if worldSize != 1 { m[p + "world_size"] = String(worldSize) }
        return (optimizer.tensors.map { (Self.tensorPrefix + $0.name, $0.tensor) }, m)
    }

    /// Decodes the state from a checkpoint's `train_state.` tensors and metadata; nil when the file
    /// has no training state. `path` names the file in errors.
    static func decode(tensors: [(String, Tensor)], metadata m: [String: String], path: String) throws -> TrainState? {
        let p = prefix
        guard m[p + "epoch"] != nil else {
            if !tensors.isEmpty || m.keys.contains(where: { $0.hasPrefix(p) }) {
                throw TrainingError.invalidCheckpoint(path: path, reason: "training state without '\(p)epoch'")
            }
            return nil
        }
        func fail(_ key: String, _ reason: String) -> TrainingError {
            .invalidCheckpoint(path: path, reason: "metadata '\(p)\(key)' \(reason)")
        }
        func integer(_ key: String) throws -> Int {
            guard let text = m[p + key] else { throw fail(key, "is missing") }
            guard let v = Int(text), v >= 0 else { throw fail(key, "is not a non-negative integer: \(text)") }
            return v
        }
        func json<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
            guard let text = m[p + key] else { return nil }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail(key, "is not valid: \(error)")
            }
        }
        func required<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let v = try json(type, key) else { throw fail(key, "is missing") }
            return v
        }
        // Checkpoints from before the generator became PyTorch's hold 4 xoshiro words there.
        if let old = try? JSONDecoder().decode([UInt64].self, from: Data((m[p + "rng"] ?? "").utf8)), old.count == 4 {
            throw fail("rng", "holds the random generator of an older SwiftVision (4 words, before seeds followed PyTorch's): "
                + "this run cannot be resumed exactly; start a new run, or continue from its weights with --pretrained")
        }
        let scalars = try required(OptimizerScalars.self, "optimizer")
        var state = OptimizerState(kind: scalars.kind)
        for pair in scalars.scalars {
            guard pair.count == 2, case .name(let name) = pair[0], case .value(let value) = pair[1] else {
                throw fail("optimizer", "has a scalar that is not a [name, value] pair")
            }
            state.scalars.append((name, value))
        }
        state.tensors = tensors.map { (String($0.0.dropFirst(tensorPrefix.count)), $0.1) }
        let epoch = try integer("epoch")
        let history = try json([EpochMetrics].self, "history")
        if let history, history.map(\.epoch) != Array(stride(from: 1, through: epoch, by: 1)) {
            throw fail("history", "lists epochs \(history.map(\.epoch)), not 1...\(epoch)")
        }
        let worldSize = m[p + "world_size"] == nil ? 1 : try integer("world_size")
        guard worldSize >= 1 else { throw fail("world_size", "is not a positive integer: \(worldSize)") }
        return TrainState(epoch: epoch, batch: try integer("batch"), step: try integer("step"),
                          optimizer: state, scheduler: try json(SchedulerState.self, "scheduler"),
                          rng: try required(TorchGenerator.self, "rng"), config: try required(TrainingConfig.self, "config"),
                          progress: try json(EpochProgress.self, "progress") ?? EpochProgress(), history: history,
                          worldSize: worldSize)
    }
}
