// conv2d straight from its definition, in Double: the reference for the fast conv paths' tests.

/// The shapes of one conv2d (NCHW input, OIHW weights, square stride, padding and dilation).
public struct DirectConv2d: Sendable {
    public var n: Int, cin: Int, h: Int, w: Int, cout: Int, kh: Int, kw: Int
    public var stride: Int, pad: Int, dilation: Int, groups: Int

    public init(n: Int, cin: Int, h: Int, w: Int, cout: Int, kh: Int, kw: Int,
                stride: Int, pad: Int, dilation: Int = 1, groups: Int = 1) {
        self.n = n; self.cin = cin; self.h = h; self.w = w; self.cout = cout; self.kh = kh; self.kw = kw
        self.stride = stride; self.pad = pad; self.dilation = dilation; self.groups = groups
    }

    public var oh: Int { (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1 }
    public var ow: Int { (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1 }

    /// Calls `body(i, o, y, z, ci, u, v, iy, ix)` for every in-image tap of every output: image i,
    /// output channel o at (y, z), input channel ci, kernel tap (u, v) reading input (iy, ix).
    public func forEachTap(_ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        let cg = cin / groups, og = cout / groups
        for i in 0..<n { for o in 0..<cout { for y in 0..<oh { for z in 0..<ow {
            for cl in 0..<cg { for u in 0..<kh { for v in 0..<kw {
                let iy = y * stride - pad + u * dilation, ix = z * stride - pad + v * dilation
                if iy >= 0 && iy < h && ix >= 0 && ix < w { body(i, o, y, z, (o / og) * cg + cl, u, v, iy, ix) }
            }}}
        }}}}
    }

    /// The output (n × cout × oh × ow): each element is its bias plus its taps, summed in Double.
    public func forward(_ x: [Float], _ weight: [Float], _ bias: [Float]?) -> [Float] {
        var out = [Double](repeating: 0, count: n * cout * oh * ow)
        if let bias {
            for j in 0..<out.count { out[j] = Double(bias[(j / (oh * ow)) % cout]) }
        }
        let cg = cin / groups
        forEachTap { i, o, y, z, ci, u, v, iy, ix in
            out[((i * cout + o) * oh + y) * ow + z] += Double(x[((i * cin + ci) * h + iy) * w + ix])
                * Double(weight[((o * cg + ci % cg) * kh + u) * kw + v])
        }
        return out.map { Float($0) }
    }
}
