// Pooling ops with autograd (kernels in Kernels/PoolingKernels.swift).

import Traps

extension Tensor {
    private func poolGeometry(_ op: String, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int),
                              dilation: (Int, Int), ceilMode: Bool) -> Pool2dGeometry {
        guard rank == 4 || rank == 3 else {
            trap("\(op): expected a 3-D or 4-D input [N, C, H, W], got \(describe(shape))")
        }
        let s = stride ?? kernel
        guard kernel.0 > 0, kernel.1 > 0, s.0 > 0, s.1 > 0, dilation.0 > 0, dilation.1 > 0 else {
            trap("\(op): kernel, stride and dilation must be positive")
        }
        guard padding.0 >= 0, padding.1 >= 0, padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            trap("\(op): padding \(padding) must be at most half of kernel \(kernel)")
        }
        let (h, w) = (shape[rank - 2], shape[rank - 1])
        let g = Pool2dGeometry(planes: count / Swift.max(h * w, 1), height: h, width: w, kernelH: kernel.0, kernelW: kernel.1,
                               strideH: s.0, strideW: s.1, padH: padding.0, padW: padding.1,
                               dilationH: dilation.0, dilationW: dilation.1, ceilMode: ceilMode)
        guard g.outH > 0, g.outW > 0 else {
            trap("\(op): input \(describe(shape)) is too small for kernel \(kernel) (output \(g.outH)×\(g.outW))")
        }
        return g
    }

    private func pooledShape(_ g: Pool2dGeometry) -> [Int] { Array(shape.dropLast(2)) + [g.outH, g.outW] }

    /// 2-D max pooling (PyTorch's `F.max_pool2d`); `stride` defaults to the kernel size.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
        let g = poolGeometry("max_pool2d", kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        var out = Tensor(uninitializedShape: pooledShape(g))
        guard Tensor.shouldRecord(self) else {
            // Inference: values only, no index buffer.
            withUnsafeBufferPointer { x in PoolingKernel.maxForward(x.baseAddress!, out.storage.base, nil, g) }
            return out
        }
        let indices = TensorStorage(uninitializedCount: out.count)
        let idx = UnsafeMutableRawPointer(indices.base).bindMemory(to: Int32.self, capacity: out.count)
        withUnsafeBufferPointer { x in PoolingKernel.maxForward(x.baseAddress!, out.storage.base, idx, g) }
        let inShape = shape
        out.record("max_pool2d", inputs: [self]) { gy in
            var dx = Tensor(uninitializedShape: inShape)
            gy.withUnsafeBufferPointer { d in
                withExtendedLifetime(indices) { PoolingKernel.maxBackward(d.baseAddress!, idx, dx.storage.base, g) }
            }
            dx.node = nil
            return [dx]
        }
        return out
    }

    /// 2-D average pooling (PyTorch's `F.avg_pool2d`).
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        let g = poolGeometry("avg_pool2d", kernel: kernel, stride: stride, padding: padding, dilation: (1, 1), ceilMode: ceilMode)
        var out = Tensor(uninitializedShape: pooledShape(g))
        withUnsafeBufferPointer { x in
            PoolingKernel.averageForward(x.baseAddress!, out.storage.base, g, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        }
        if Tensor.shouldRecord(self) {
            let inShape = shape
            out.record("avg_pool2d", inputs: [self]) { gy in
                var dx = Tensor(uninitializedShape: inShape)
                gy.withUnsafeBufferPointer { d in
                    PoolingKernel.averageBackward(d.baseAddress!, dx.storage.base, g, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
                }
                dx.node = nil
                return [dx]
            }
        }
        return out
    }

    /// Adaptive average pooling to `outputSize` (PyTorch's `F.adaptive_avg_pool2d`).
    public func adaptiveAvgPool2d(_ outputSize: (Int, Int)) -> Tensor {
        guard rank == 4 || rank == 3 else {
            trap("adaptive_avg_pool2d: expected a 3-D or 4-D input, got \(describe(shape))")
        }
        let (h, w) = (shape[rank - 2], shape[rank - 1])
        let (oh, ow) = outputSize
        guard oh > 0, ow > 0, h > 0, w > 0 else {
            trap("adaptive_avg_pool2d: invalid output size \(outputSize) for input \(describe(shape))")
        }
        let planes = count / (h * w)
        if oh == h && ow == w { return self }
        var out = Tensor(uninitializedShape: Array(shape.dropLast(2)) + [oh, ow])
        withUnsafeBufferPointer { x in
            PoolingKernel.adaptiveAverage(x.baseAddress!, out.storage.base, planes: planes, height: h, width: w, outH: oh, outW: ow)
        }
        if Tensor.shouldRecord(self) {
            let inShape = shape
            out.record("adaptive_avg_pool2d", inputs: [self]) { gy in
                var dx = Tensor(uninitializedShape: inShape)
                gy.withUnsafeBufferPointer { d in
                    PoolingKernel.adaptiveAverage(d.baseAddress!, dx.storage.base, planes: planes, height: h, width: w,
                                                  outH: oh, outW: ow, backward: true)
                }
                dx.node = nil
                return [dx]
            }
        }
        return out
    }
}
