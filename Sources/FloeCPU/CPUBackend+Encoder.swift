import CFloeKernels
import FloeTensor

/// The encoder ops: LayerNorm, GELU and attention in CFloeKernels (encoder.c); pooling and
/// normalization touch one row per sequence and stay in Swift.
extension CPUBackend: EncoderBackend {
    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor) {
        let d = x.shape.last
        precondition(weight.elementCount == d && bias.elementCount == d && out.elementCount == x.elementCount, "layerNorm shapes \(x.shape) \(weight.shape) \(bias.shape) \(out.shape)")
        floe_layer_norm(
            pool.pointer, ReferenceOps.floats(x), ReferenceOps.floats(weight), ReferenceOps.floats(bias), epsilon,
            ReferenceOps.floats(out), x.shape.rowCount, d)
    }

    public func gelu(_ x: Tensor, into out: Tensor) {
        precondition(x.elementCount == out.elementCount, "gelu shapes")
        floe_gelu(pool.pointer, ReferenceOps.floats(x), ReferenceOps.floats(out), x.elementCount)
    }

    public func encoderAttention(qkv: Tensor, sequenceLengths: [Int], heads: Int, scale: Float, into out: Tensor) {
        let d = out.shape.last, n = sequenceLengths.reduce(0, +)
        precondition(heads > 0 && d % heads == 0 && qkv.shape.last == 3 * d && qkv.shape.rowCount >= n && out.shape.rowCount >= n, "encoderAttention shapes \(qkv.shape) \(out.shape) heads \(heads)")
        precondition(sequenceLengths.allSatisfy { $0 >= 0 }, "negative sequence length")
        var starts = [0]
        starts.reserveCapacity(sequenceLengths.count + 1)
        for length in sequenceLengths { starts.append(starts.last! + length) }
        floe_encoder_attention(
            pool.pointer, ReferenceOps.floats(qkv), starts, sequenceLengths.count, heads, d / heads, scale,
            ReferenceOps.floats(out))
    }

    public func pool(_ x: Tensor, sequenceLengths: [Int], mode: PoolingMode, into out: Tensor) {
        let d = x.shape.last, xs = ReferenceOps.floats(x), ys = ReferenceOps.floats(out)
        precondition(x.shape.rowCount >= sequenceLengths.reduce(0, +) && out.elementCount == sequenceLengths.count * d, "pool shapes \(x.shape) \(out.shape)")
        var start = 0
        for (s, length) in sequenceLengths.enumerated() {
            precondition(length > 0, "pooling an empty sequence")
            let y = ys + s * d, first = xs + start * d
            switch mode {
            case .cls: y.update(from: first, count: d)
            case .lastToken: y.update(from: first + (length - 1) * d, count: d)
            case .mean, .meanSqrtLength, .max:
                y.update(from: first, count: d)
                for r in 1..<length {
                    let row = first + r * d
                    if mode == .max {
                        for c in 0..<d { y[c] = Swift.max(y[c], row[c]) }
                    } else {
                        for c in 0..<d { y[c] += row[c] }
                    }
                }
                if mode != .max {
                    let divisor = mode == .mean ? Float(length) : Float(length).squareRoot()
                    for c in 0..<d { y[c] /= divisor }
                }
            }
            start += length
        }
    }

    public func l2Normalize(_ x: Tensor, into out: Tensor) {
        precondition(x.elementCount == out.elementCount, "l2Normalize shapes")
        let d = x.shape.last, xs = ReferenceOps.floats(x), ys = ReferenceOps.floats(out)
        for r in 0..<x.shape.rowCount {
            var squares: Float = 0
            for c in 0..<d { squares += xs[r * d + c] * xs[r * d + c] }
            // As sentence-transformers' Normalize (F.normalize): x / max(‖x‖, 1e-12).
            let scale = 1 / Swift.max(squares.squareRoot(), 1e-12)
            for c in 0..<d { ys[r * d + c] = xs[r * d + c] * scale }
        }
    }
}
