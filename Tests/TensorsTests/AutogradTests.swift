// Autograd behaviour beyond single ops: accumulation, shared inputs, no-grad scopes, detach,
// release of saved tensors, and the errors of misuse.

import Foundation
import Testing
import Tensors
import TestSupport

@Suite struct AutogradTests {
    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroed() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        try (x * 2).sum().backward()
        try (x * 3).sum().backward()
        #expect(x.grad?.scalars == [5, 5, 5])
        x.zeroGrad()
        #expect(x.grad == nil)
        try (x * x).sum().backward()
        #expect(x.grad?.scalars == [2, 4, 6])
    }

    @Test func tensorUsedTwiceSumsBothPaths() throws {
        // y = x·x + x  ⇒  dy/dx = 2x + 1
        let x = Tensor([0.5, -1, 4]).requiringGrad()
        try (x * x + x).sum().backward()
        #expect(x.grad?.scalars == [2, -1, 9])
    }

    @Test func diamondGraphThroughSharedIntermediate() throws {
        // h = exp(x); y = h·h + h  ⇒ dy/dx = (2h + 1)·h
        let x = Tensor([0.0, 1.0]).requiringGrad()
        let h = x.exp()
        try (h * h + h).sum().backward()
        let e = Float(M_E)
        let expected: [Float] = [3, (2 * e + 1) * e]
        #expect(closeness(x.grad!.scalars, expected) == nil)
    }

    @Test func leafReadyReportsEachLeafOnceWithItsFinalGradientLastLayerFirst() throws {
        // y = ((x·a) + x)·b: b's gradient is final before a's, and x's (used twice) only after both paths.
        let x = Tensor([1, 2]).requiringGrad(), a = Tensor([3, -1]).requiringGrad(), b = Tensor([0.5, 2]).requiringGrad()
        var reports: [(ObjectIdentifier, [Float])] = []
        try ((x * a + x) * b).sum().backward { key, grad in reports.append((key, grad.scalars)) }
        let keys = try [b, a, x].map { try #require($0.gradientKey) }
        #expect(reports.map(\.0) == keys)
        #expect(reports.map(\.1) == [[4, 0], [0.5, 4], [2, 0]])
        #expect(reports.map(\.1) == [b, a, x].map { $0.grad!.scalars })
        // A second pass reports the accumulated gradient.
        var second: [[Float]] = []
        try (x * 2).sum().backward { _, grad in second.append(grad.scalars) }
        #expect(second == [[4, 2]])
    }

    @Test func noGradRecordsNothing() {
        let x = Tensor([1, 2]).requiringGrad()
        let y = withNoGrad { (x * 3).exp() }
        #expect(!y.requiresGrad)
        #expect(throws: TensorError.self) { try y.sum().backward() }
        #expect((x * 3).requiresGrad)
    }

    @Test func detachStopsGradient() throws {
        let x = Tensor([2, 3]).requiringGrad()
        try (x * x.detached()).sum().backward()
        #expect(x.grad?.scalars == [2, 3])
    }

    @Test func savedTensorsAreReleasedAfterBackward() throws {
        let x = Tensor([1, 2]).requiringGrad()
        let y = (x.exp() * x).sum()
        try y.backward()
        #expect(throws: TensorError.self) { try y.backward() }
        do {
            try y.backward()
        } catch {
            #expect(error.message.contains("second time"))
        }
    }

    @Test func nonScalarBackwardNeedsSeedNamingShape() throws {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]).requiringGrad()
        let y = x * 2
        do {
            try y.backward()
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("[2, 3]"))
        }
        do {
            try y.backward(gradient: Tensor.ones([3, 2]))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("[3, 2]") && error.message.contains("[2, 3]"))
        }
        try y.backward(gradient: Tensor.full([2, 3], 0.5))
        #expect(x.grad?.scalars == [1, 1, 1, 1, 1, 1])
    }

    @Test func inPlaceUpdateOfLeafUnderNoGradKeepsLeafAndGradient() throws {
        var w = Tensor([1, 2]).requiringGrad()
        try (w * w).sum().backward()
        let before = w
        withNoGrad { w -= w.grad! * 0.1 }
        #expect(w.requiresGrad && w.isLeaf)
        #expect(closeness(w.scalars, [0.8, 1.6]) == nil)
        #expect(w.grad?.scalars == [2, 4])
        #expect(before.scalars == [1, 2], "a copy taken before the update keeps its values (value semantics)")
    }

    @Test func broadcastGradientIsReducedToInputShape() throws {
        let a = Tensor.ones([4, 3]).requiringGrad()
        let b = Tensor([1, 2, 3]).requiringGrad()
        try (a * b).sum().backward()
        #expect(b.grad?.shape == [3])
        #expect(b.grad?.scalars == [4, 4, 4])
        let expected: [Float] = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]
        #expect(a.grad?.scalars == expected)
    }
}
