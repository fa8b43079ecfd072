#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FloeTensor

/// The oracle for `EncoderBackend`'s ops: plain loops in f32 (attention and pooling accumulate
/// in f64 so the reference is the more accurate side of any comparison).
extension ReferenceOps {
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, into out: Tensor) {
        let d = x.shape.last, xs = floats(x), ys = floats(out), w = floats(weight), b = floats(bias)
        precondition(weight.elementCount == d && bias.elementCount == d && out.elementCount == x.elementCount, "layerNorm shapes")
        for r in 0..<x.shape.rowCount {
            let xr = xs + r * d, yr = ys + r * d
            var mean: Double = 0
            for i in 0..<d { mean += Double(xr[i]) }
            mean /= Double(d)
            var variance: Double = 0
            for i in 0..<d { variance += (Double(xr[i]) - mean) * (Double(xr[i]) - mean) }
            let inv = 1 / (variance / Double(d) + Double(epsilon)).squareRoot()
            for i in 0..<d { yr[i] = Float((Double(xr[i]) - mean) * inv) * w[i] + b[i] }
        }
    }

    public static func gelu(_ x: Tensor, into out: Tensor) {
        precondition(x.elementCount == out.elementCount, "gelu shapes")
        let xs = floats(x), ys = floats(out)
        for i in 0..<x.elementCount {
            let v = Double(xs[i])
            ys[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
        }
    }

    public static func encoderAttention(qkv: Tensor, sequenceLengths: [Int], heads: Int, scale: Float, into out: Tensor) {
        let n = sequenceLengths.reduce(0, +), d = out.shape.last, hd = d / heads
        precondition(qkv.shape.rowCount == n && qkv.shape.last == 3 * d && out.shape.rowCount == n && d % heads == 0, "encoderAttention shapes")
        let source = floats(qkv), y = floats(out)
        var start = 0
        for length in sequenceLengths {
            for h in 0..<heads {
                for i in 0..<length {
                    let q = source + (start + i) * 3 * d + h * hd
                    var scores = (0..<length).map { j -> Double in
                        let k = source + (start + j) * 3 * d + d + h * hd
                        var dot: Double = 0
                        for c in 0..<hd { dot += Double(q[c]) * Double(k[c]) }
                        return dot * Double(scale)
                    }
                    let top = scores.max()!
                    scores = scores.map { exp($0 - top) }
                    let total = scores.reduce(0, +)
                    for c in 0..<hd {
                        var sum: Double = 0
                        for j in 0..<length { sum += scores[j] * Double(source[(start + j) * 3 * d + 2 * d + h * hd + c]) }
                        y[(start + i) * d + h * hd + c] = Float(sum / total)
                    }
                }
            }
            start += length
        }
    }

    public static func pool(_ x: Tensor, sequenceLengths: [Int], mode: PoolingMode, into out: Tensor) {
        let d = x.shape.last, xs = floats(x), ys = floats(out)
        precondition(x.shape.rowCount == sequenceLengths.reduce(0, +) && out.elementCount == sequenceLengths.count * d, "pool shapes")
        var start = 0
        for (s, length) in sequenceLengths.enumerated() {
            precondition(length > 0, "pooling an empty sequence")
            for c in 0..<d {
                let column = (start..<start + length).map { Double(xs[$0 * d + c]) }
                let value: Double
                switch mode {
                case .cls: value = column[0]
                case .lastToken: value = column[length - 1]
                case .mean: value = column.reduce(0, +) / Double(length)
                case .meanSqrtLength: value = column.reduce(0, +) / Double(length).squareRoot()
                case .max: value = column.max()!
                }
                ys[s * d + c] = Float(value)
            }
            start += length
        }
    }

    public static func l2Normalize(_ x: Tensor, into out: Tensor) {
        precondition(x.elementCount == out.elementCount, "l2Normalize shapes")
        let d = x.shape.last, xs = floats(x), ys = floats(out)
        for r in 0..<x.shape.rowCount {
            var squares: Double = 0
            for c in 0..<d { squares += Double(xs[r * d + c]) * Double(xs[r * d + c]) }
            // sentence-transformers' Normalize is F.normalize: x / max(‖x‖, 1e-12).
            let norm = max(squares.squareRoot(), 1e-12)
            for c in 0..<d { ys[r * d + c] = Float(Double(xs[r * d + c]) / norm) }
        }
    }
}
