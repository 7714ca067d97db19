// Inference plans (NN/InferencePlan.swift): the same logits as the module's own forward, bit for bit,
// with every activation of a run placed in the arena; no live tensor overwritten when a buffer
// escapes into a cache or a run allocates differently from the recording.

import Testing
import Models
import NN
import Tensors

@Suite struct InferencePlanTests {
    /// A seeded input.
    static func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        return Tensor.normal(shape, generator: &g)
    }

    @Test(arguments: ["resnet18", "resnet50", "vgg11", "small_cnn"])
    func planEqualsTheModulesForward(_ name: String) throws {
        let small = name == "small_cnn"
        let model = try Architectures.build(name, numClasses: 10, inputChannels: small ? 1 : 3)
        model.foldBatchNormsForInference()
        let shape = small ? [3, 1, 28, 28] : [2, 3, name == "vgg11" ? 32 : 64, name == "vgg11" ? 32 : 64]
        _ = withNoGrad { model(Tensor.zeros(shape)) }  // packed weights and other caches made first
        let plan = InferencePlan(model, inputShape: shape)
        #expect(plan.activationBytes == 0)
        for seed in 1...4 {  // the recording run, then runs through the same arena
            let x = Self.input(shape, seed: UInt64(seed))
            let expected = withNoGrad { model(x) }.scalars
            let got = plan.run(x)
            #expect(got.shape == [shape[0], 10])
            #expect(got.scalars == expected, "\(name) run \(seed): plan differs from the module's forward")
            #expect(plan.lastRunWasPlanned == (seed > 1), "\(name) run \(seed)")
        }
        #expect(plan.activationBytes > 0)
    }

    @Test func arenaIsSmallerThanEveryActivationTogether() throws {
        let model = try Architectures.build("resnet18", numClasses: 10)
        model.foldBatchNormsForInference()
        let shape = [1, 3, 64, 64]
        let x = Tensor.zeros(shape)
        _ = withNoGrad { model(x) }
        let (_, layout) = ActivationArena.record { withNoGrad { model(x).shape } }
        let total = layout.sizes.reduce(0, +)
        #expect(layout.sizes.count > 20, "resnet18's forward allocates one buffer per fused layer at least")
        #expect(layout.bytes < total / 2, "the arena reuses freed activations: \(layout.bytes) of \(total) bytes")
        // The stem's output (64×32×32) and the max pool's (64×16×16) are alive together: the peak.
        #expect(layout.bytes >= (64 * 32 * 32 + 64 * 16 * 16) * 4)
        #expect(layout.offsets.allSatisfy { $0 >= 0 && $0 % 64 == 0 })
    }

    @Test func layoutPlacesBuffersFirstFitWithoutOverlap() {
        // a(100) and b(200) alive; a freed; c(100) takes a's place; d(300) goes on top; b and c freed
        // (one gap of 384 bytes below d); e(400, 448 with alignment) does not fit there: on top too.
        let sizes = [100, 200, 100, 300, 400]
        let events: [(index: Int, freed: Bool)] = [(0, false), (1, false), (0, true), (2, false), (3, false),
                                                   (1, true), (2, true), (4, false)]
        let layout = ActivationArena.Layout(sizes: sizes, events: events)
        #expect(layout.offsets == [0, 128, 0, 384, 704])
        #expect(layout.bytes == 704 + 448)
    }

    /// Keeps its last output: a buffer that outlives the run.
    final class Remembering: Module, @unchecked Sendable {
        var kept: Tensor?
        override func forward(_ input: Tensor) -> Tensor {
            let out = input * 2
            kept = out
            return out + 1
        }
    }

    @Test func escapedBufferIsNeverOverwritten() {
        let module = Remembering()
        module.eval()
        let plan = InferencePlan(module, inputShape: [4])
        _ = plan.run(Tensor([0, 0, 0, 0]))  // the recording
        _ = plan.run(Tensor([1, 2, 3, 4]))
        #expect(plan.lastRunWasPlanned)
        let first = module.kept!
        #expect(plan.run(Tensor([10, 20, 30, 40])).scalars == [21, 41, 61, 81])
        // `first` lives in the first run's arena, which the plan gave up on: its values hold.
        #expect(first.scalars == [2, 4, 6, 8])
    }

    /// Allocates a different size on every call.
    final class Growing: Module, @unchecked Sendable {
        var calls = 0
        override func forward(_ input: Tensor) -> Tensor {
            calls += 1
            let scratch = Tensor.zeros([calls * 100])
            return input + scratch.sum()
        }
    }

    @Test func divergingRunsStillComputeCorrectly() {
        let module = Growing()
        module.eval()
        let plan = InferencePlan(module, inputShape: [3])
        for _ in 0..<4 {  // record, diverge, record, diverge
            #expect(plan.run(Tensor([1, 2, 3])).scalars == [1, 2, 3])
            #expect(!plan.lastRunWasPlanned)
        }
    }
}
