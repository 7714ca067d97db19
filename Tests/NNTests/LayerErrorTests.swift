// Wrong input shapes stop the process with a message naming the layer, its path and both shapes.
// Exit tests run the body in a child process and read its standard error.

import Foundation
import Testing
import NN
import Tensors

@Suite struct LayerErrorTests {
    @Test func convWithWrongChannelCountNamesLayerAndShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let net = Sequential(Conv2d(3, 8, kernelSize: 3), ReLU())
            _ = net(Tensor.zeros([1, 4, 16, 16]))
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)) at '0': expected input [N, 3, H, W], got [1, 4, 16, 16]"))
    }

    @Test func linearWithWrongFeaturesNamesLayer() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let net = Sequential(Flatten(), Linear(10, 2))
            _ = net(Tensor.zeros([2, 3, 3]))
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("Linear(in_features=10, out_features=2, bias=True) at '1': expected input [..., 10], got [2, 9]"))
    }

    @Test func batchNormWithWrongRankNamesLayer() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(4)(Tensor.zeros([2, 4, 3]))
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("BatchNorm2d(4, eps=1e-05, momentum=0.1) at '<root>': expected input [N, 4, H, W], got [2, 4, 3]"))
    }

    @Test func broadcastMismatchTrapsWithShapes() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("shapes [2, 3] and [4] cannot be broadcast"))
    }
}
