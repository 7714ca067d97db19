// The checkpoint file: model keys as the model names them, SwiftVision metadata that rebuilds the
// model and its preprocessing, and the training state under `train_state.`, which the loader
// splits off so classify/evaluate see a plain model state dict.

import Foundation
import Testing
import SwiftVision

extension TrainingTests {
    @Suite struct CheckpointFormat {
        @Test func trainingCheckpointLayoutAndSplit() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let path = dir.file("run.safetensors")
            let spec = ModelSpec(architecture: "small_cnn", classNames: ["t-shirt", "trouser", "pull\"over", "dress"], inputChannels: 1,
                                 preprocessing: ModelSpec.fashionMNISTPreprocessing)
            let config = TrainingConfig(epochs: 2, batchSize: 16, lr: 0.01, seed: 42)
            let flag = InterruptFlag()
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path)
            try trainer.fit(train: quadrantSource(count: 64, seed: 3, batchSize: 16), reporter: interrupting(at: 3, flag), interrupt: flag)

            // Raw file: model tensors, then the optimizer's momentum buffers; metadata keys.
            let raw = try loadCheckpoint(path)
            let modelKeys = ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"]
            #expect(raw.keys == modelKeys + (0..<8).map { "train_state.optimizer.\($0).momentum_buffer" })
            #expect(raw.metadata["architecture"] == "small_cnn" && raw.metadata["num_classes"] == "4")
            #expect(raw.metadata["class_names"] == #"["t-shirt","trouser","pull\"over","dress"]"#)
            #expect(raw.metadata["preprocessing"] == "imagenet-classification(resize=28,crop=28,interpolation=bilinear,mean=0.286,std=0.353)")
            #expect(raw.metadata["input_channels"] == "1" && raw.metadata["image_size"] == "28")
            #expect(raw.metadata["normalize_mean"] == "[0.286]" && raw.metadata["normalize_std"] == "[0.353]")
            #expect(raw.metadata["train_state.epoch"] == "0" && raw.metadata["train_state.batch"] == "3"
                    && raw.metadata["train_state.step"] == "3")
            for key in ["optimizer", "scheduler", "rng", "config", "progress"] {
                #expect(raw.metadata["train_state.\(key)"] != nil, "train_state.\(key)")
            }
            // `ModelMetadata` (what vision classify reads) understands the file.
            let meta = ModelMetadata(raw.metadata)
            #expect(meta.architecture == "small_cnn" && meta.numClasses == 4 && meta.classNames == spec.classNames)

            // Split.
            let checkpoint = try TrainingCheckpoint.load(path)
            #expect(checkpoint.model.keys == modelKeys)
            #expect(!checkpoint.model.metadata.keys.contains { $0.hasPrefix("train_state.") })
            #expect(checkpoint.spec == spec)
            let state = try #require(checkpoint.trainState)
            #expect(state.epoch == 0 && state.batch == 3 && state.step == 3 && state.config == config)
            #expect(state.optimizer.kind == "SGD" && state.optimizer.tensors.count == 8)
            #expect(state.optimizer.scalar("lr") == 0.01 && state.optimizer.scalar("momentum") == 0.9)
            #expect(state.scheduler?.lastEpoch == 0)
            #expect(state.progress.samples == 48)
            // The generator state is the one recorded in the metadata (not compared with the live
            // process-wide generator: tests running in parallel draw from it meanwhile).
            let recordedRNG = try JSONDecoder().decode(TorchGenerator.self, from: Data(try #require(raw.metadata["train_state.rng"]).utf8))
            #expect(state.rng == recordedRNG && state.rng != TorchGenerator(seed: 0))
            let model = try checkpoint.buildModel()
            #expect(!model.isTraining)
            #expect(weights(model) == weights(trainer.model))
        }

        @Test func trainStateRoundTripsExactly() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let model = try spec.makeModel()
            var rng = TorchGenerator(seed: 99)
            _ = rng.randperm(700)  // mid-way through the state words
            let optimizer = OptimizerState(kind: "Adam", tensors: [("0.exp_avg", Tensor([1, 2, 3]))],
                                           scalars: [("lr", 0.1 * 3), ("0.step", 7), ("eps", 1e-8)])
            let scheduler = SchedulerState(lastEpoch: 3, stepCount: 4, baseLR: 0.1, lastLR: 0.1 * 0.1 * 0.1)
            var progress = EpochProgress()
            progress.lossSum = 1.0 / 3; progress.correct = 5; progress.samples = 9; progress.seconds = 0.25
            let state = TrainState(epoch: 2, batch: 5, step: 17, optimizer: optimizer, scheduler: scheduler, rng: rng,
                                   config: TrainingConfig(epochs: 9, seed: .max), progress: progress)
            try TrainingCheckpoint.save(model: model, spec: spec, state: state, to: dir.file("s.safetensors"))
            let back = try #require(try TrainingCheckpoint.load(dir.file("s.safetensors")).trainState)
            #expect(back.epoch == 2 && back.batch == 5 && back.step == 17)
            #expect(back.rng == rng && back.scheduler == scheduler && back.progress == progress && back.config == state.config)
            #expect(back.optimizer.kind == "Adam" && back.optimizer.tensor("0.exp_avg")?.scalars == [1, 2, 3])
            #expect(back.optimizer.scalars.map(\.name) == ["lr", "0.step", "eps"])
            #expect(back.optimizer.scalars.map(\.value) == [0.1 * 3, 7, 1e-8])
            // A checkpoint from before the generator followed PyTorch's (4 xoshiro words): a message
            // that says so and names the file, not a decoding dump.
            var old = try loadCheckpoint(dir.file("s.safetensors"))
            old.metadata["train_state.rng"] = "[1,2,3,4]"
            try saveSafetensors(old, to: dir.file("old.safetensors"))
            let error = #expect(throws: TrainingError.self) { try TrainingCheckpoint.load(dir.file("old.safetensors")) }
            #expect("\(message(error))".hasPrefix(dir.file("old.safetensors") + ": metadata 'train_state.rng' holds the random generator of an older SwiftVision"),
                    "\(message(error))")
        }

        @Test func plainAndMalformedFiles() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            // A weights-only safetensors (as from `vision convert`): spec with defaults, no train state.
            let model = try Architectures.build("small_cnn", numClasses: 4, inputChannels: 3)
            try saveSafetensors(model.checkpointStateDict(), metadata: ["architecture": "small_cnn", "num_classes": "4"],
                                to: dir.file("plain.safetensors"))
            let plain = try TrainingCheckpoint.load(dir.file("plain.safetensors"))
            #expect(plain.trainState == nil && plain.spec?.inputChannels == 3 && plain.spec?.preprocessing == ImageClassificationPreset())
            #expect(weights(try plain.buildModel()) == weights(model))
            // No metadata at all: no spec.
            try saveSafetensors(model.checkpointStateDict(), metadata: [:], to: dir.file("bare.safetensors"))
            let bare = try TrainingCheckpoint.load(dir.file("bare.safetensors"))
            #expect(bare.spec == nil)
            #expect(throws: TrainingError.self) { try bare.buildModel() }
            // Malformed training state.
            try saveSafetensors(model.checkpointStateDict(), metadata: ["architecture": "small_cnn", "num_classes": "4",
                                                                        "train_state.epoch": "1", "train_state.batch": "0",
                                                                        "train_state.step": "3", "train_state.optimizer": "{oops"],
                                to: dir.file("bad.safetensors"))
            let error = #expect(throws: TrainingError.self) { try TrainingCheckpoint.load(dir.file("bad.safetensors")) }
            #expect("\(message(error))".hasPrefix(dir.file("bad.safetensors") + ": metadata 'train_state.optimizer' is not valid"), "\(message(error))")
            try saveSafetensors(model.checkpointStateDict(), metadata: ["architecture": "small_cnn", "num_classes": "four"],
                                to: dir.file("classes.safetensors"))
            let classes = #expect(throws: TrainingError.self) { try TrainingCheckpoint.load(dir.file("classes.safetensors")) }
            #expect("\(message(classes))".contains("'num_classes' is 'four'"), "\(message(classes))")
        }
    }
}
