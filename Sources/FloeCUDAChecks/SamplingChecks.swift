import FloeCUDA
import FloeEngine
import FloeRunner
import FloeTensor
import Foundation

/// Device sampling (`CUDABackend.sampleRows`) against the host's truncation
/// (`LogitsProcessing.truncatedCandidates`, vLLM's order): greedy rows give the argmax; sampled
/// rows never leave the kept set, and 40,000 draws (one per step) follow the kept distribution
/// (chi-square at p = 1e-4); a (seed, step) draw does not depend on the row's place in the batch.
/// Penalties, logit bias and min_tokens masks (`adjust_logits`) give exactly the host's adjusted
/// logits and greedy tokens.
extension OpChecks {
    mutating func deviceSampling() {
        deviceAdjustments(rows: 24, vocabulary: 128_256)
        deviceAdjustments(rows: 16, vocabulary: 1000)

        // Greedy on a Llama-3-sized row, with a tie: the lower index wins.
        var wide = random.normals(2 * 128_256)
        wide[500] = 50; wide[9_000] = 50; wide[128_256 + 77] = 40
        let greedy = gpu.sampleRows(device(wide, [2, 128_256]), rows: [0, 1].map { DeviceSamplingRow(temperature: 0, seed: 1, step: UInt64($0)) })
        report.record("sampling", "greedy rows 2×128256", passed: greedy == [500, 77], "\(greedy) vs [500, 77]")

        let vocabulary = 50
        let logits = random.normals(vocabulary).map { $0 * 2 }
        for (temperature, topK, topP, minP) in [(Float(1), 0, Float(1), Float(0)), (0.7, 10, 1, 0), (1.3, 0, 0.8, 0), (1, 0, 1, 0.05), (0.8, 20, 0.9, 0.02)] {
            distribution(logits, temperature: temperature, topK: topK, topP: topP, minP: minP)
        }

        // 64 rows of a 128k vocabulary with top-k and top-p: every token in its row's kept set,
        // and the same draws with the rows in reverse order.
        let rows = 64, wideVocabulary = 128_256
        let many = random.normals(rows * wideVocabulary).map { $0 * 3 }
        let parameters = (0..<rows).map { DeviceSamplingRow(temperature: 0.8, topK: 50, topP: 0.9, minP: 0, seed: 7, step: UInt64($0)) }
        let tokens = gpu.sampleRows(device(many, [rows, wideVocabulary]), rows: parameters)
        var outside = 0
        for row in 0..<rows {
            let scaled = many[(row * wideVocabulary)..<((row + 1) * wideVocabulary)].map { $0 / 0.8 }
            let kept = scaled.withUnsafeBufferPointer { Set(LogitsProcessing.truncatedCandidates($0, minP: 0, topK: 50, topP: 0.9).tokens) }
            if !kept.contains(tokens[row]) { outside += 1 }
        }
        report.record("sampling", "64×128256 top-k 50 top-p 0.9: tokens in the kept set", passed: outside == 0, "\(outside) of \(rows) outside")
        var reversed = [Float](); reversed.reserveCapacity(many.count)
        for row in (0..<rows).reversed() { reversed += many[(row * wideVocabulary)..<((row + 1) * wideVocabulary)] }
        let again = gpu.sampleRows(device(reversed, [rows, wideVocabulary]), rows: parameters.reversed())
        report.record("sampling", "draws independent of the batch order", passed: Array(again.reversed()) == tokens,
            "\(zip(again.reversed(), tokens).filter { $0 != $1 }.count) of \(rows) differ")
    }

    /// Greedy rows with random penalties, logit biases and min_tokens masks, built by
    /// `RequestSampler.deviceDraw` as the runner builds them, against `RequestSampler.sample` on
    /// the host, which leaves its adjusted logits in the row: every adjusted logit read back
    /// after `sampleRows` must equal the host's bit for bit, and every token the host's.
    /// Penalized tokens come half from each row's top 8, so the penalties change winners.
    /// Every fourth row has no adjustments and must keep its logits; an id past the vocabulary,
    /// added to each row, must be ignored.
    private mutating func deviceAdjustments(rows: Int, vocabulary: Int) {
        let original = random.normals(rows * vocabulary).map { $0 * 3 }
        var expected = original, expectedTokens: [Int] = [], parameters: [DeviceSamplingRow] = []
        var adjustedRows = 0
        for row in 0..<rows {
            let range = (row * vocabulary)..<((row + 1) * vocabulary)
            let top = range.sorted { original[$0] > original[$1] }.prefix(8).map { $0 - range.lowerBound }
            func pick() -> Int { random.below(2) == 0 ? top[random.below(top.count)] : random.below(vocabulary) }
            var params = SamplingParams.greedy
            var prompt: [Int] = [], output: [Int] = [], stops: Set<Int> = []
            if row % 4 != 0 {
                params.repetitionPenalty = [1, 1.3, 0.7][random.below(3)]
                params.frequencyPenalty = [0, 0.5, -0.3][random.below(3)]
                params.presencePenalty = [0, 0.7, -1.1][random.below(3)]
                for _ in 0..<random.below(5) { params.logitBias[pick()] = Float(random.normal() * 4) }
                params.logitBias[vocabulary + 3] = 9
                params.minTokens = random.below(2) * 30
                prompt = (0..<40).map { _ in pick() }
                output = (0..<20).map { _ in pick() }
                stops = [pick(), pick()]
            }
            var sampler = RequestSampler(params: params, seed: 1, promptTokenIDs: prompt, outputTokenIDs: output, stopTokenIDs: stops)
            var parameter = ModelRunner.deviceRow(sampler.deviceDraw(vocabularySize: vocabulary)!)
            if !parameter.adjustments.isEmpty {
                adjustedRows += 1
                parameter.adjustments.append(LogitAdjustment(token: vocabulary + 5, masked: true))
            }
            parameters.append(parameter)
            expected[range].withUnsafeMutableBufferPointer { expectedTokens.append(sampler.sample($0).tokenID) }
        }
        let logits = device(original, [rows, vocabulary])
        let tokens = gpu.sampleRows(logits, rows: parameters)
        let adjusted = gpu.readFloats(logits)
        let differing = zip(adjusted, expected).filter { $0.bitPattern != $1.bitPattern }.count
        let changed = zip(original, expected).filter { $0.bitPattern != $1.bitPattern }.count
        let label = "adjustments \(rows)×\(vocabulary) (\(adjustedRows) rows adjusted, \(changed) logits changed)"
        report.record("sampling", "\(label): adjusted logits", passed: differing == 0 && changed > 0,
            "\(differing) of \(adjusted.count) logits differ from the host's")
        let wrongTokens = zip(tokens, expectedTokens).filter { $0 != $1 }.count
        report.record("sampling", "\(label): greedy tokens", passed: wrongTokens == 0,
            "\(wrongTokens) of \(rows) tokens differ from the host's: \(tokens) vs \(expectedTokens)")
    }

    /// 40,000 draws of one row (steps 0..<40,000) against the host's kept distribution.
    private mutating func distribution(_ logits: [Float], temperature: Float, topK: Int, topP: Float, minP: Float) {
        let draws = 40_000, vocabulary = logits.count
        let scaled = logits.map { $0 / temperature }
        let (kept, weights) = scaled.withUnsafeBufferPointer { LogitsProcessing.truncatedCandidates($0, minP: minP, topK: topK, topP: topP) }
        let total = weights.reduce(0, +)
        let tiled = (0..<draws).flatMap { _ in logits }
        let rows = (0..<draws).map { DeviceSamplingRow(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: 2026, step: UInt64($0)) }
        let tokens = gpu.sampleRows(device(tiled, [draws, vocabulary]), rows: rows)
        var counts = [Int: Int]()
        for token in tokens { counts[token, default: 0] += 1 }
        let outside = counts.filter { !kept.contains($0.key) }.values.reduce(0, +)
        // Chi-square over the kept tokens, pooling those expected fewer than 5 times.
        var chiSquare = 0.0, bins = 0, pooledExpected = 0.0, pooledObserved = 0.0
        for (token, weight) in zip(kept, weights) {
            let expected = Double(weight / total) * Double(draws), observed = Double(counts[token] ?? 0)
            if expected < 5 { pooledExpected += expected; pooledObserved += observed; continue }
            chiSquare += (observed - expected) * (observed - expected) / expected
            bins += 1
        }
        if pooledExpected > 0 {
            chiSquare += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / max(pooledExpected, 1e-9)
            bins += 1
        }
        // The chi-square quantile at p = 1e-4 (Wilson–Hilferty, z = 3.719).
        let dof = Double(max(bins - 1, 1))
        let critical = dof * pow(1 - 2 / (9 * dof) + 3.719 * (2 / (9 * dof)).squareRoot(), 3)
        let label = "T \(temperature) top-k \(topK) top-p \(topP) min-p \(minP): \(draws) draws over \(kept.count) kept tokens"
        report.record("sampling", label, passed: outside == 0 && chiSquare <= critical,
            String(format: "chi-square %.1f (critical %.1f, %d bins), %d draws outside the kept set", chiSquare, critical, bins, outside))
    }
}
