#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FloeTensor

/// The oracle: every `Backend` op as plain loops in f32, written for readability. The fast
/// kernels are tested against these; the backend also falls back to them for rare cases.
public enum ReferenceOps {
    static func floats(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        precondition(t.dtype == .f32, "expected an f32 tensor, got \(t.dtype)")
        return t.pointer(as: Float.self)
    }

    static func ints(_ t: Tensor) -> UnsafeMutablePointer<Int32> {
        precondition(t.dtype == .i32, "expected an i32 tensor, got \(t.dtype)")
        return t.pointer(as: Int32.self)
    }

    /// One row of any supported dtype as f32.
    static func row(_ t: Tensor, _ index: Int, into out: UnsafeMutablePointer<Float>) {
        let width = t.shape.last
        // FloeTensor's shared oracle for every block format (bit-exact with ggml).
        dequantizeRow(t.dtype, from: UnsafeRawPointer(t.address + index * t.rowBytes), into: out, count: width)
    }

    public static func embed(tokens: Tensor, table: Tensor, into out: Tensor) {
        let ids = ints(tokens), y = floats(out), d = table.shape.last
        precondition(out.elementCount == tokens.elementCount * d, "embed output shape \(out.shape)")
        for i in 0..<tokens.elementCount {
            let id = Int(ids[i])
            precondition(id >= 0 && id < table.shape.rowCount, "token \(id) outside the table")
            row(table, id, into: y + i * d)
        }
    }

    public static func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float, into out: Tensor) {
        let d = x.shape.last, xs = floats(x), ys = floats(out)
        var w = [Float](repeating: 0, count: d)
        w.withUnsafeMutableBufferPointer { row(weight, 0, into: $0.baseAddress!) }
        for r in 0..<x.shape.rowCount {
            let xr = xs + r * d, yr = ys + r * d
            var sum: Float = 0
            for i in 0..<d { sum += xr[i] * xr[i] }
            let inv = 1 / (sum / Float(d) + epsilon).squareRoot()
            for i in 0..<d { yr[i] = xr[i] * inv * w[i] }
        }
    }

    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) {
        let inDim = weight.shape.last, outDim = weight.shape.rowCount, n = x.shape.rowCount
        precondition(x.shape.last == inDim && out.elementCount == n * outDim, "linear shapes \(x.shape) \(weight.shape) \(out.shape)")
        let xs = floats(x), ys = floats(out), b = bias.map(floats)
        var w = [Float](repeating: 0, count: inDim)
        w.withUnsafeMutableBufferPointer { w in
            for o in 0..<outDim {
                row(weight, o, into: w.baseAddress!)
                for t in 0..<n {
                    var sum: Float = 0
                    for i in 0..<inDim { sum += xs[t * inDim + i] * w[i] }
                    ys[t * outDim + o] = sum + (b?[o] ?? 0)
                }
            }
        }
    }

    public static func rope(_ x: Tensor, positions: Tensor, inverseFrequencies: Tensor, style: RoPEStyle) {
        let n = positions.elementCount, hd = x.shape.last, heads = x.elementCount / (n * hd)
        let xs = floats(x), pos = ints(positions), freq = floats(inverseFrequencies)
        for t in 0..<n {
            for h in 0..<heads {
                let head = xs + (t * heads + h) * hd
                for i in 0..<hd / 2 {
                    // The angle is an f32 product, as Hugging Face computes it.
                    let angle = Float(pos[t]) * freq[i]
                    let c = Float(cos(Double(angle))), s = Float(sin(Double(angle)))
                    let (a, b) = style == .halves ? (i, i + hd / 2) : (2 * i, 2 * i + 1)
                    let x0 = head[a], x1 = head[b]
                    head[a] = x0 * c - x1 * s
                    head[b] = x0 * s + x1 * c
                }
            }
        }
    }

    public static func siluMul(gate: Tensor, up: Tensor, into out: Tensor) {
        let g = floats(gate), u = floats(up), y = floats(out)
        for i in 0..<out.elementCount { y[i] = g[i] / (1 + exp(-g[i])) * u[i] }
    }

    public static func add(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        let x = floats(a), z = floats(b), y = floats(out)
        for i in 0..<out.elementCount { y[i] = x[i] + z[i] }
    }

    public static func softmax(_ x: Tensor, into out: Tensor) {
        let cols = x.shape.last, xs = floats(x), ys = floats(out)
        for r in 0..<x.shape.rowCount {
            let xr = xs + r * cols, yr = ys + r * cols
            var m = -Float.infinity
            for i in 0..<cols { m = max(m, xr[i]) }
            var sum: Float = 0
            for i in 0..<cols {
                yr[i] = exp(xr[i] - m)
                sum += yr[i]
            }
            for i in 0..<cols { yr[i] /= sum }
        }
    }

    public static func gatherRows(_ x: Tensor, indices: [Int], into out: Tensor) {
        let rowBytes = x.rowBytes
        precondition(out.rowBytes == rowBytes && out.shape.rowCount >= indices.count, "gatherRows shapes")
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && index < x.shape.rowCount, "row \(index) outside \(x.shape)")
            (out.address + i * rowBytes).copyMemory(from: x.address + index * rowBytes, byteCount: rowBytes)
        }
    }

    public static func storeKV(key: Tensor, value: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata) {
        let width = keyCache.shape.elementCount / keyCache.shape[0]
        let k = floats(key), v = floats(value), kc = floats(keyCache), vc = floats(valueCache)
        for (i, slot) in metadata.slotMapping.enumerated() {
            let s = Int(slot)
            if s < 0 { continue }  // a padding row of a recorded step (AttentionMetadata.isPadding)
            precondition(s < keyCache.shape[0], "slot \(s) outside the cache")
            for j in 0..<width {
                kc[s * width + j] = k[i * width + j]
                vc[s * width + j] = v[i * width + j]
            }
        }
    }

    /// Two-pass softmax attention: scores for every visible position, then the weighted sum.
    public static func attention(
        query: Tensor, keyCache: Tensor, valueCache: Tensor, metadata: AttentionMetadata,
        scale: Float, into out: Tensor
    ) {
        let hd = query.shape.last, heads = query.shape[1], kvHeads = keyCache.shape[1]
        let group = heads / kvHeads
        let q = floats(query), kc = floats(keyCache), vc = floats(valueCache), y = floats(out)
        for sequence in metadata.sequences {
            if metadata.isPadding(sequence) {  // sees no key (AttentionMetadata.isPadding)
                (y + sequence.queryTokens.lowerBound * heads * hd).update(repeating: 0, count: heads * hd)
                continue
            }
            let first = sequence.contextLength - sequence.queryTokens.count
            for (i, token) in sequence.queryTokens.enumerated() {
                let position = first + i
                for h in 0..<heads {
                    let qh = q + (token * heads + h) * hd, kvh = h / group
                    var scores = [Float](repeating: 0, count: position + 1)
                    for p in 0...position {
                        let slot = Int(sequence.blockTable[p / metadata.blockSize]) * metadata.blockSize + p % metadata.blockSize
                        let kh = kc + (slot * kvHeads + kvh) * hd
                        var dot: Float = 0
                        for j in 0..<hd { dot += qh[j] * kh[j] }
                        scores[p] = dot * scale
                    }
                    let m = scores.max()!
                    var sum: Float = 0
                    for p in 0...position {
                        scores[p] = exp(scores[p] - m)
                        sum += scores[p]
                    }
                    let yh = y + (token * heads + h) * hd
                    for j in 0..<hd { yh[j] = 0 }
                    for p in 0...position {
                        let slot = Int(sequence.blockTable[p / metadata.blockSize]) * metadata.blockSize + p % metadata.blockSize
                        let vh = vc + (slot * kvHeads + kvh) * hd
                        let w = scores[p] / sum
                        for j in 0..<hd { yh[j] += w * vh[j] }
                    }
                }
            }
        }
    }
}
