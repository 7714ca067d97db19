// The checks behind every op throw messages that name the shapes; ops trap with the same text.

import Testing
import Tensors

@Suite struct ShapeErrorTests {
    @Test func broadcastMismatchNamesBothShapes() {
        #expect(throws: TensorError("shapes [2, 3] and [4] cannot be broadcast: size 3 vs 4 at dimension 1")) {
            try Shape.broadcast([2, 3], [4])
        }
        #expect((try? Shape.broadcast([8, 1, 6, 1], [7, 1, 5])) == [8, 7, 6, 5])
        #expect((try? Shape.broadcast([], [2, 2])) == [2, 2])
    }

    @Test func reshapeChecksElementCount() throws {
        #expect(try Shape.reshape([2, 3, 4], to: [4, -1]) == [4, 6])
        #expect(throws: TensorError("shape [5, -1] is invalid for input of size 24 (shape [2, 3, 4])")) {
            try Shape.reshape([2, 3, 4], to: [5, -1])
        }
        #expect(throws: TensorError.self) { try Shape.reshape([4], to: [-1, -1]) }
    }

    @Test func dimensionOutOfRangeNamesRangeAndShape() throws {
        #expect(try Shape.normalize(dim: -1, rank: 3) == 2)
        #expect(throws: TensorError("dimension 3 out of range (expected to be in range of [-3, 2]) of a tensor of shape [2, 3, 4]")) {
            try Shape.normalize(dim: 3, rank: 3, shape: [2, 3, 4])
        }
    }
}
