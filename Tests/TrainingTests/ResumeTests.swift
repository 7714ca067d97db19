// Interrupted and resumed runs end with exactly the weights of an uninterrupted run: stopped at an
// epoch boundary or mid-epoch, with per-epoch and per-batch schedulers, momentum and Adam state,
// label smoothing and BatchNorm buffers. A checkpoint of another architecture or class count is a
// clear error naming the first mismatched key and its shapes.

import Foundation
import Testing
import SwiftVision

struct ResumeCase: CustomStringConvertible, Sendable {
    let name: String
    let config: TrainingConfig
    let batchNorm: Bool
    let stopAtStep: Int
    var description: String { name }

    static let all: [ResumeCase] = [
        ResumeCase(name: "SGD, warm-up + cosine, label smoothing, stopped after epoch 1",
                   config: TrainingConfig(epochs: 3, batchSize: 16, lr: 0.02, scheduler: .cosine, warmupEpochs: 1, labelSmoothing: 0.1),
                   batchNorm: false, stopAtStep: 6),
        ResumeCase(name: "SGD nesterov, multistep, stopped mid-epoch 2",
                   config: TrainingConfig(epochs: 3, batchSize: 16, lr: 0.02, nesterov: true, scheduler: .multistep, milestones: [1, 2]),
                   batchNorm: false, stopAtStep: 9),
        ResumeCase(name: "AdamW, onecycle per batch, stopped mid-epoch 1",
                   config: TrainingConfig(epochs: 2, batchSize: 16, lr: 0.003, optimizer: .adamw, scheduler: .onecycle),
                   batchNorm: false, stopAtStep: 4),
        ResumeCase(name: "Adam, step, BatchNorm model, stopped mid-epoch 2",
                   config: TrainingConfig(epochs: 3, batchSize: 16, lr: 0.01, optimizer: .adam, scheduler: .step, stepSize: 1, gamma: 0.5),
                   batchNorm: true, stopAtStep: 8),
    ]
}

/// small_cnn, or a small conv + BatchNorm net (to cover buffers such as running statistics).
func resumeModel(batchNorm: Bool) throws -> Module {
    guard batchNorm else { return try smallCNNSpec().makeModel() }
    return Sequential(Conv2d(1, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(), MaxPool2d(kernelSize: 4), Flatten(), Linear(196, 4))
}

extension TrainingTests {
    @Suite struct Resume {
        @Test(arguments: ResumeCase.all)
        func interruptedThenResumedEqualsUninterrupted(_ c: ResumeCase) throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let train = quadrantSource(count: 96, seed: 5, batchSize: 16)
            let val = quadrantSource(count: 32, seed: 6, batchSize: 16, shuffle: false)
            let initial = try resumeModel(batchNorm: c.batchNorm)

            // Uninterrupted.
            let modelA = try resumeModel(batchNorm: c.batchNorm)
            try copyWeights(from: initial, to: modelA)
            let a = try Trainer(model: modelA, spec: spec, config: c.config, checkpointPath: dir.file("a.safetensors"),
                                metricsPath: dir.file("a.jsonl"))
            let resultA = try a.fit(train: train, validation: val)
            #expect(resultA.status == .completed)

            // Interrupted at a batch boundary...
            let modelB = try resumeModel(batchNorm: c.batchNorm)
            try copyWeights(from: initial, to: modelB)
            let b = try Trainer(model: modelB, spec: spec, config: c.config, checkpointPath: dir.file("b.safetensors"),
                                metricsPath: dir.file("b.jsonl"))
            let flag = InterruptFlag()
            let resultB = try b.fit(train: train, validation: val, reporter: interrupting(at: c.stopAtStep, flag), interrupt: flag)
            let perEpoch = train.batchesPerEpoch
            #expect(resultB.status == .interrupted && resultB.exitCode == 130)
            #expect(resultB.steps == c.stopAtStep)
            #expect(resultB.epochsCompleted == c.stopAtStep / perEpoch && resultB.batch == c.stopAtStep % perEpoch)
            let saved = try TrainingCheckpoint.load(dir.file("b.safetensors"))
            #expect(saved.trainState?.epoch == resultB.epochsCompleted && saved.trainState?.batch == resultB.batch)

            // ...then resumed into a freshly initialised model by a new trainer.
            let modelC = try resumeModel(batchNorm: c.batchNorm)
            let resumed = try Trainer(model: modelC, spec: spec, config: c.config, checkpointPath: dir.file("b.safetensors"),
                                      metricsPath: dir.file("b.jsonl"))
            let info = try resumed.resume(from: dir.file("b.safetensors"))
            #expect(info.epochsCompleted == resultB.epochsCompleted && info.batch == resultB.batch && info.configChanges.isEmpty)
            let resultC = try resumed.fit(train: train, validation: val)
            #expect(resultC.status == .completed && resultC.steps == resultA.steps)

            let (wa, wc) = (weights(modelA), weights(modelC))
            #expect(wa.keys.sorted() == wc.keys.sorted())
            let differing = wa.keys.sorted().filter { wa[$0] != wc[$0] }
            #expect(differing.isEmpty, "differ after resuming: \(differing)")
            // The metrics log of the interrupted + resumed run reads like the uninterrupted one.
            let (logA, logB) = (try MetricsLog.read(dir.file("a.jsonl")), try MetricsLog.read(dir.file("b.jsonl")))
            #expect(logA.map(\.epoch) == logB.map(\.epoch))
            #expect(logA.map(\.trainLoss) == logB.map(\.trainLoss))
            #expect(logA.map(\.trainAccuracy) == logB.map(\.trainAccuracy))
            #expect(logA.map(\.valLoss) == logB.map(\.valLoss))
            #expect(logA.map(\.lr) == logB.map(\.lr))
        }

        @Test func theFileAloneResumesARun() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let config = TrainingConfig(epochs: 2, batchSize: 16, lr: 0.02, scheduler: .cosine, labelSmoothing: 0.05)
            let train = quadrantSource(count: 64, seed: 8, batchSize: 16)
            let initial = try spec.makeModel()
            let modelA = try spec.makeModel()
            try copyWeights(from: initial, to: modelA)
            try Trainer(model: modelA, spec: spec, config: config).fit(train: train)

            let modelB = try spec.makeModel()
            try copyWeights(from: initial, to: modelB)
            let flag = InterruptFlag()
            try Trainer(model: modelB, spec: spec, config: config, checkpointPath: dir.file("run.safetensors"))
                .fit(train: train, reporter: interrupting(at: 6, flag), interrupt: flag)
            let resumed = try Trainer.resuming(from: dir.file("run.safetensors"))
            #expect(resumed.config == config && resumed.spec == spec)
            #expect(resumed.epochsCompleted == 1 && resumed.batchInEpoch == 2)
            try resumed.fit(train: train)
            let (wa, wb) = (weights(modelA), weights(resumed.model))
            #expect(wa.keys.sorted().filter { wa[$0] != wb[$0] }.isEmpty)

            // A finished run can be extended by more epochs.
            let extended = try Trainer.resuming(from: dir.file("run.safetensors"), epochs: 3)
            #expect(extended.epochsCompleted == 2 && extended.config.epochs == 3)
            #expect(try extended.fit(train: train).history.map(\.epoch) == [3])
        }

        @Test func anotherArchitectureOrClassCountIsAClearError() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let path = dir.file("four.safetensors")
            let spec = smallCNNSpec()
            let flag = InterruptFlag()
            try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig(epochs: 2, batchSize: 16, lr: 0.01),
                        checkpointPath: path)
                .fit(train: quadrantSource(count: 32, seed: 1, batchSize: 16), reporter: interrupting(at: 1, flag), interrupt: flag)

            let ten = smallCNNSpec(classes: 10)
            let wrongClasses = try Trainer(model: try ten.makeModel(), spec: ten, config: TrainingConfig(epochs: 2))
            let e1 = #expect(throws: TrainingError.self) { try wrongClasses.resume(from: path) }
            #expect("\(message(e1))" == "\(path): the checkpoint does not match small_cnn with 10 classes (the file is a small_cnn "
                    + "checkpoint with 4 classes): 9.weight has shape [4, 128] in the file, the model expects [10, 128]")

            let rgb = ModelSpec(architecture: "small_cnn", classNames: spec.classNames, inputChannels: 3,
                                preprocessing: ImageClassificationPreset(cropSize: 28, resizeSize: 28))
            let wrongChannels = try Trainer(model: try rgb.makeModel(), spec: rgb, config: TrainingConfig(epochs: 2))
            let e2 = #expect(throws: TrainingError.self) { try wrongChannels.resume(from: path) }
            #expect("\(message(e2))".hasSuffix("0.weight has shape [32, 1, 3, 3] in the file, the model expects [32, 3, 3, 3]"), "\(message(e2))")

            let resnet = ModelSpec(architecture: "resnet18", classNames: spec.classNames)
            let wrongArchitecture = try Trainer(model: try resnet.makeModel(), spec: resnet, config: TrainingConfig(epochs: 2))
            let e3 = #expect(throws: TrainingError.self) { try wrongArchitecture.resume(from: path) }
            #expect("\(message(e3))".contains("does not match resnet18 with 4 classes (the file is a small_cnn checkpoint with 4 classes)"), "\(message(e3))")
            #expect("\(message(e3))".hasSuffix("conv1.weight is missing from the file"), "\(message(e3))")

            let adam = try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig(epochs: 2, optimizer: .adam))
            let e4 = #expect(throws: TrainingError.self) { try adam.resume(from: path) }
            #expect("\(message(e4))".contains("optimizer state does not fit: cannot load SGD state into Adam"), "\(message(e4))")

            let weightsOnly = dir.file("weights.safetensors")
            try TrainingCheckpoint.save(model: try spec.makeModel(), spec: spec, state: nil, to: weightsOnly)
            let e5 = #expect(throws: TrainingError.self) { try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig()).resume(from: weightsOnly) }
            #expect("\(message(e5))".contains("no training state"), "\(message(e5))")
        }
    }
}
