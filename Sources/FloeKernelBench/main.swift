// FloeKernelBench: times the CPU backend's kernels on model-shaped problems.
//   swift run -c release FloeKernelBench [threads] [level: 0 scalar, 1 avx2, 2 avx512] [mode] [noprefill]
// Modes: all, smol, qwen, ops, crossover, rows, f32gemm (the BERT encoder's f32 linears).
#if canImport(Glibc)
import Glibc
#endif
import CFloeKernels
import Dispatch
import FloeCPU
import FloeTensor

/// `value` with `digits` decimals (no Foundation on this target).
func fmt(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale), fraction = Int(abs(scaled).truncatingRemainder(dividingBy: scale))
    if digits == 0 { return String(whole) }
    let text = String(fraction)
    return (scaled < 0 && whole == 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: digits - text.count) + text
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Best of `repeats` timings of `body`, in seconds.
func time(repeats: Int = 5, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = now()
        body()
        best = min(best, now() - start)
    }
    return best
}

func randomWeight(_ dtype: DType, rows: Int, cols: Int) -> Tensor {
    let t = Tensor(zeros: [rows, cols], dtype: dtype)
    let bytes = t.address.assumingMemoryBound(to: UInt8.self)
    var state: UInt64 = 12345
    for i in 0..<t.byteCount {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
    }
    // Keep scales finite: overwrite every f16 field with a small value (0x2000 ≈ 2^-7).
    let fields: [Int] = switch dtype {
    case .q4_0, .q5_0, .q8_0: [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
    case .q6_K: [208]
    case .f16: Array(stride(from: 0, to: t.byteCount, by: 2))
    case .f32: Array(stride(from: 2, to: t.byteCount, by: 4))
    default: []
    }
    if dtype.isQuantized {
        for b in 0..<t.byteCount / dtype.blockBytes { for f in fields { bytes[b * dtype.blockBytes + f + 1] = 0x20 } }
    } else {
        for f in fields { bytes[f + 1] = 0x20 }
    }
    return t
}

let arguments = CommandLine.arguments
let threads = arguments.count > 1 ? Int(arguments[1])! : nil
if arguments.count > 2 { KernelLevel.current = KernelLevel(rawValue: Int(arguments[2])!)! }
let backend = CPUBackend(threads: threads)
print("threads \(backend.threads), kernel level \(KernelLevel.current)")

let only = arguments.count > 3 ? arguments[3] : "all"

// Memory: read bandwidth over 512 MiB with the f32 dot kernel (a 1-row gemv per 32 Mi floats).
if only != "ops" {
    let big = randomWeight(.f32, rows: 4, cols: 32 << 20)
    let x = Tensor(zeros: [1, 32 << 20]), y = Tensor(zeros: [1, 4])
    let s = time(repeats: 3) { backend.linear(x, weight: big, bias: nil, into: y) }
    print("read bandwidth (f32 gemv over 512 MiB): \(fmt(Double(big.byteCount) / s / 1e9, 1)) GB/s")
}

// Pool overhead: an op too small to matter, dispatched through the pool.
if only != "ops" {
    let x = Tensor(zeros: [1, 40000]), y = Tensor(zeros: [1, 40000])
    let s = time(repeats: 5) { for _ in 0..<10000 { backend.add(x, x, into: y) } }
    let items = 40000
    let d = time(repeats: 5) {
        for _ in 0..<10000 {
            let source = Int(bitPattern: x.pointer(as: Float.self)), target = Int(bitPattern: y.pointer(as: Float.self))
            DispatchQueue.concurrentPerform(iterations: backend.threads) { i in
                let p = UnsafeMutablePointer<Float>(bitPattern: source)!, q = UnsafeMutablePointer<Float>(bitPattern: target)!
                let lo = items * i / backend.threads, hi = items * (i + 1) / backend.threads
                for j in lo..<hi { q[j] = p[j] + p[j] }
            }
        }
    }
    print("add of 40k floats: pool \(fmt(s / 10000 * 1e6, 2)) µs/op, concurrentPerform \(fmt(d / 10000 * 1e6, 2)) µs/op")
}

struct Layer { var name: String; var rows: Int; var cols: Int; var dtype: DType; var count: Int }

/// Decode (n = 1) and prefill (n = 512) through a model's linear layers. Decode walks
/// `count` distinct copies of each layer in model order, so weights stream from memory as in
/// a real forward pass (a model is larger than L3); prefill times one copy per layer shape.
func benchModel(_ name: String, _ layers: [Layer]) {
    var bytes = 0, flops = 0
    for layer in layers {
        bytes += layer.count * layer.dtype.byteCount(elements: layer.rows * layer.cols)!
        flops += layer.count * 2 * layer.rows * layer.cols
    }
    var copies: [(Layer, Tensor, Tensor, Tensor)] = []
    for layer in layers {
        for _ in 0..<layer.count {
            copies.append((layer, randomWeight(layer.dtype, rows: layer.rows, cols: layer.cols), Tensor(zeros: [1, layer.cols]), Tensor(zeros: [1, layer.rows])))
        }
    }
    copies.shuffle()  // interleave shapes as a forward pass does
    let decode = time(repeats: 10) {
        for (_, w, x, y) in copies { backend.linear(x, weight: w, bias: nil, into: y) }
    }
    print("\(name) decode (n=1): linear total \(fmt(decode * 1e3, 2)) ms (\(fmt(1 / decode, 1)) tok/s), \(bytes / 1_000_000) MB of weights → \(fmt(Double(bytes) / decode / 1e9, 1)) GB/s, \(fmt(Double(flops) / decode / 1e9, 1)) GFLOP/s")
    for n in (CommandLine.arguments.contains("noprefill") ? [1] : [1, 512]) {
        var total = 0.0
        for layer in layers {
            let w = copies.first { $0.0.name == layer.name }!.1
            let x = Tensor(zeros: [n, layer.cols]), y = Tensor(zeros: [n, layer.rows])
            let s = time(repeats: n == 1 ? 20 : 2) { backend.linear(x, weight: w, bias: nil, into: y) }
            total += s * Double(layer.count)
            let gbs = Double(w.byteCount) / s / 1e9, gf = 2.0 * Double(n * layer.rows * layer.cols) / s / 1e9
            print("  n=\(n) \(layer.name) [\(layer.rows)x\(layer.cols)] \(layer.dtype): \(fmt(s * 1e6, 1)) µs, \(fmt(gbs, 1)) GB/s\(n == 1 ? " (cache-hot)" : ""), \(fmt(gf, 1)) GFLOP/s")
        }
        if n > 1 {
            print("\(name) prefill (n=\(n)): linear total \(fmt(total * 1e3, 2)) ms (\(fmt(Double(n) / total, 1)) tok/s), \(fmt(Double(flops * n) / total / 1e9, 1)) GFLOP/s")
        }
    }
}

if only == "all" || only == "smol" {
    benchModel("SmolLM2-135M Q4_1", [
        Layer(name: "q/o", rows: 576, cols: 576, dtype: .q4_1, count: 60),
        Layer(name: "k/v", rows: 192, cols: 576, dtype: .q4_1, count: 60),
        Layer(name: "gate/up", rows: 1536, cols: 576, dtype: .q4_1, count: 60),
        Layer(name: "down", rows: 576, cols: 1536, dtype: .q4_1, count: 30),
        Layer(name: "lm_head", rows: 49152, cols: 576, dtype: .q8_0, count: 1),
    ])
}
if only == "all" || only == "qwen" {
    // Tensor types as stored in Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf (896 is not a multiple
    // of 256, so rows of that width fall back to Q5_0/Q8_0).
    benchModel("Qwen2.5-0.5B Q4_K_M", [
        Layer(name: "q/o", rows: 896, cols: 896, dtype: .q5_0, count: 48),
        Layer(name: "k/v", rows: 128, cols: 896, dtype: .q5_0, count: 36),
        Layer(name: "v8", rows: 128, cols: 896, dtype: .q8_0, count: 12),
        Layer(name: "gate/up", rows: 4864, cols: 896, dtype: .q5_0, count: 48),
        Layer(name: "down4", rows: 896, cols: 4864, dtype: .q4_K, count: 12),
        Layer(name: "down6", rows: 896, cols: 4864, dtype: .q6_K, count: 12),
        Layer(name: "lm_head", rows: 151936, cols: 896, dtype: .q8_0, count: 1),
    ])
}

/// Attention and the elementwise ops of one SmolLM2 layer at prefill (512 tokens) and decode.
if only == "all" || only == "ops" {
    let heads = 9, kvHeads = 3, hd = 64, blockSize = 16, context = 512
    let keyCache = Tensor(zeros: [context, kvHeads, hd]), valueCache = Tensor(zeros: [context, kvHeads, hd])
    let table = (0..<Int32(context / blockSize)).map { $0 }
    for n in [512, 17, 1] {  // 17: a verification step of 16 drafts at the end of a 512 context
        let metadata = AttentionMetadata(
            sequences: [.init(queryTokens: 0..<n, contextLength: context, blockTable: table)], blockSize: blockSize)
        let q = Tensor(zeros: [n, heads, hd]), out = Tensor(zeros: [n, heads, hd])
        let s = time { backend.attention(query: q, keyCache: keyCache, valueCache: valueCache, metadata: metadata, scale: 0.125, into: out) }
        // Query i of n (the last n positions) sees context − n + 1 + i keys.
        let visible = Double(n) * Double(context - n + 1) + Double(n) * Double(n - 1) / 2
        print("attention n=\(n) ctx=\(context) 9/3 heads hd 64: \(fmt(s * 1e6, 1)) µs, \(fmt(4 * visible * Double(heads * hd) / s / 1e9, 1)) GFLOP/s")
        let a = Tensor(zeros: [n, 1536]), b = Tensor(zeros: [n, 1536]), c = Tensor(zeros: [n, 1536])
        let silu = time { backend.siluMul(gate: a, up: b, into: c) }
        let x = Tensor(zeros: [n, 576]), w = Tensor(zeros: [576]), y = Tensor(zeros: [n, 576])
        let norm = time { backend.rmsNorm(x, weight: w, epsilon: 1e-5, into: y) }
        print("siluMul [\(n)x1536]: \(fmt(silu * 1e6, 1)) µs; rmsNorm [\(n)x576]: \(fmt(norm * 1e6, 1)) µs")
    }
}

/// Where the few-token gemv path should hand over to the GEMM (GEMV_MAX_N in ops.c).
if only == "all" || only == "crossover" {
    for dtype in [DType.q4_1, .q5_0] {
        let w = randomWeight(dtype, rows: 1536, cols: 576)
        for n in [1, 2, 4, 8, 12, 16, 17, 24, 32] {
            let x = Tensor(zeros: [n, 576]), y = Tensor(zeros: [n, 1536])
            let s = time(repeats: 20) { backend.linear(x, weight: w, bias: nil, into: y) }
            print("crossover \(dtype) [1536x576] n=\(n): \(fmt(s * 1e6, 1)) µs (\(fmt(s * 1e6 / Double(n), 1)) µs/token)")
        }
    }
}

/// Speculative verification runs a forward over k+1 rows: the cost of an n-row linear against
/// the one-row one, per block format (one layer, cache-hot), then through all of SmolLM2's
/// linears (distinct weight copies, streamed from memory as in a forward pass).
if only == "all" || only == "rows" {
    let counts = CommandLine.arguments.contains("wide") ? [1, 16, 17, 24, 32, 48, 64] : [1, 2, 3, 4, 5, 8, 12, 16, 17]
    for (dtype, rows, cols) in [(DType.q4_1, 1536, 576), (.q8_0, 1536, 576), (.q8_0, 49152, 576), (.q8_0, 256, 576), (.q4_1, 256, 576), (.q5_0, 1536, 576), (.q4_K, 896, 4864), (.q6_K, 896, 4864)] {
        let w = randomWeight(dtype, rows: rows, cols: cols)
        var one = 0.0
        var line = "rows \(dtype) [\(rows)x\(cols)]:"
        for n in counts {
            let x = Tensor(zeros: [n, cols]), y = Tensor(zeros: [n, rows])
            let s = time(repeats: 20) { backend.linear(x, weight: w, bias: nil, into: y) }
            if n == 1 { one = s }
            line += " n=\(n) \(fmt(s * 1e6, 1)) µs (\(fmt(s / one, 2))×)"
        }
        print(line)
    }
    let smol = [
        Layer(name: "q/o", rows: 576, cols: 576, dtype: .q4_1, count: 60),
        Layer(name: "k/v", rows: 192, cols: 576, dtype: .q4_1, count: 60),
        Layer(name: "gate/up", rows: 1536, cols: 576, dtype: .q4_1, count: 60),
        Layer(name: "down", rows: 576, cols: 1536, dtype: .q4_1, count: 30),
        Layer(name: "lm_head", rows: 49152, cols: 576, dtype: .q8_0, count: 1),
    ]
    var copies: [(Tensor, Int, Int)] = []
    for layer in smol { for _ in 0..<layer.count { copies.append((randomWeight(layer.dtype, rows: layer.rows, cols: layer.cols), layer.rows, layer.cols)) } }
    copies.shuffle()
    var one = 0.0
    var line = "SmolLM2-135M Q4_1 all linears (streamed):"
    for n in counts {
        let io = copies.map { (Tensor(zeros: [n, $0.2]), Tensor(zeros: [n, $0.1])) }
        let s = time(repeats: 5) { for (i, c) in copies.enumerated() { backend.linear(io[i].0, weight: c.0, bias: nil, into: io[i].1) } }
        if n == 1 { one = s }
        line += " n=\(n) \(fmt(s * 1e3, 2)) ms (\(fmt(s / one, 2))×)"
    }
    print(line)
}

/// The f32 GEMM at all-MiniLM-L6-v2's linear shapes for one 8192-token embedding batch (the
/// CPU embedding path's token budget): GFLOP/s against the FMA peak of the threads used, which
/// is measured here with a register-only FMA loop (`floe_fma_peak_gflops`).
if only == "f32gemm" {
    let n = CommandLine.arguments.count > 4 ? Int(CommandLine.arguments[4]) ?? 8192 : 8192
    let peakPool = floe_pool_create(Int32(backend.threads))
    let peak = floe_fma_peak_gflops(peakPool)
    floe_pool_destroy(peakPool)
    print("FMA peak (\(backend.threads) threads, register-only loop): \(fmt(peak, 1)) GFLOP/s")
    var total = 0.0, flops = 0.0
    for (name, rows, cols, count) in [("qkv", 1152, 384, 1), ("attn out", 384, 384, 1), ("ffn up", 1536, 384, 1), ("ffn down", 384, 1536, 1)] {
        let w = randomWeight(.f32, rows: rows, cols: cols), bias = Tensor(zeros: [rows])
        let x = Tensor(zeros: [n, cols]), y = Tensor(zeros: [n, rows])
        let s = time(repeats: 3) { backend.linear(x, weight: w, bias: bias, into: y) }
        let gf = 2.0 * Double(n * rows * cols) / s / 1e9
        total += s * Double(count)
        flops += 2.0 * Double(n * rows * cols * count)
        print("  f32 n=\(n) \(name) [\(rows)x\(cols)]: \(fmt(s * 1e3, 2)) ms, \(fmt(gf, 1)) GFLOP/s (\(fmt(100 * gf / peak, 0))% of peak)")
    }
    print("MiniLM layer linears (n=\(n)): \(fmt(total * 1e3, 2)) ms, \(fmt(flops / total / 1e9, 1)) GFLOP/s (\(fmt(100 * flops / total / 1e9 / peak, 0))% of peak)")
}
