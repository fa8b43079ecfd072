import FloeEngine
import FloeTokenizers
import Foundation

/// The request sets of `floe bench serve`, as vLLM's `bench serve` builds them.
public enum BenchDataset {
    /// vLLM's `random` dataset: lengths drawn uniformly from
    /// `[len * (1 - rangeRatio), len * (1 + rangeRatio)]`; prompts are random token ids, decoded
    /// to text by `tokenizer` (or sent as ids with `asTokenIDs`), or random words when there is
    /// no tokenizer.
    public static func random(
        count: Int, inputLength: Int, outputLength: Int, rangeRatio: Double, tokenizer: Tokenizer?, asTokenIDs: Bool,
        seed: UInt64
    ) throws -> [BenchRequest] {
        guard count > 0, inputLength > 0, outputLength > 0 else {
            throw BenchError.invalid("--num-prompts, --random-input-len and --random-output-len must be positive")
        }
        guard (0..<1).contains(rangeRatio) else { throw BenchError.invalid("--random-range-ratio must be in [0, 1), got \(rangeRatio)") }
        if asTokenIDs, tokenizer == nil { throw BenchError.invalid("token-id prompts need --tokenizer (for the vocabulary size)") }
        var generator = SeededGenerator(seed: seed)
        func length(_ center: Int) -> Int {
            let low = max(Int((Double(center) * (1 - rangeRatio)).rounded(.down)), 1)
            let high = max(Int((Double(center) * (1 + rangeRatio)).rounded(.down)), low)
            return low + Int(generator.next() % UInt64(high - low + 1))
        }
        return (0..<count).map { _ in
            let input = length(inputLength), output = length(outputLength)
            guard let tokenizer else {
                let words = (0..<input).map { _ in Self.words[Int(generator.next() % UInt64(Self.words.count))] }
                return BenchRequest(prompt: .text(words.joined(separator: " ")), inputTokens: input, outputTokens: output)
            }
            // Skip the lowest ids, where tokenizers keep their special tokens.
            let vocabulary = tokenizer.vocabularySize
            let ids = (0..<input).map { _ in 256 + Int(generator.next() % UInt64(max(vocabulary - 256, 1))) }
            if asTokenIDs { return BenchRequest(prompt: .tokenIDs(ids), inputTokens: input, outputTokens: output) }
            let text = tokenizer.decode(ids)
            return BenchRequest(prompt: .text(text), inputTokens: tokenizer.encode(text).count, outputTokens: output)
        }
    }

    /// A ShareGPT-format file (`[{"conversations": [{"from": "human", "value": ...}, {"from":
    /// "gpt", "value": ...}]}]`): the first turn is the prompt, the reply's token count the
    /// output length (or `fixedOutputLength`). As vLLM does, pairs with a prompt or reply under 4
    /// tokens, or prompt over 1024 / total over 2048, are skipped.
    public static func shareGPT(
        file: String, count: Int, tokenizer: Tokenizer?, fixedOutputLength: Int?, seed: UInt64
    ) throws -> [BenchRequest] {
        guard let data = FileManager.default.contents(atPath: file) else { throw BenchError.invalid("cannot read --dataset-path \(file)") }
        guard let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw BenchError.invalid("\(file) is not a ShareGPT JSON list of {\"conversations\": [...]}")
        }
        if tokenizer == nil, fixedOutputLength == nil {
            throw BenchError.invalid("the sharegpt dataset needs --tokenizer (to count tokens) or --sharegpt-output-len")
        }
        var order = Array(entries.indices)
        var generator = SeededGenerator(seed: seed)
        order.shuffle(using: &generator)
        var requests: [BenchRequest] = []
        for index in order where requests.count < count {
            guard let turns = entries[index]["conversations"] as? [[String: Any]], turns.count >= 2,
                let prompt = turns[0]["value"] as? String, let reply = turns[1]["value"] as? String
            else { continue }
            let input = tokenizer?.encode(prompt).count ?? prompt.split(separator: " ").count
            let output = fixedOutputLength ?? tokenizer!.encode(reply).count
            if input < 4 || output < 4 || input > 1024 || input + output > 2048 { continue }
            requests.append(BenchRequest(prompt: .text(prompt), inputTokens: input, outputTokens: output))
        }
        guard requests.count == count else {
            throw BenchError.invalid("\(file) has only \(requests.count) usable conversations, --num-prompts asked for \(count)")
        }
        return requests
    }

    /// Common English words, for prompts when no tokenizer is given.
    static let words = """
        the of and to in is was for on that with as by at from his her it an were are which this be or has had not but \
        one their its they new after first two been also other who more time when into some would during over there \
        only most about year city people world water house school story little girl boy day night morning light \
        garden river mountain music friend family small large old young happy quiet bright cold warm long short
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
}

public enum BenchError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): message }
    }
}
