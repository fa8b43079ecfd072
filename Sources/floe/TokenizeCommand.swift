import ArgumentParser
import FloeRunner
import FloeTokenizers
import Foundation

/// `floe tokenize`: a model's tokenizer on the command line, loaded without its weights.
/// Prints `{"ids": [...], "tokens": [...], "offsets": [[start, end], ...]}` (offsets in Unicode
/// scalars of the input, as HF's Python API), or with `--decode`, the text of the given ids.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Encode text (or decode ids) with a model's tokenizer.")

    @Option(help: "GGUF file, Hugging Face model directory, or tokenizer.json.")
    var model: String

    @Option(help: "Text to encode; read from standard input when absent.")
    var text: String?

    @Flag(name: .customLong("no-special"), help: "Do not add the post-processor's special tokens (BOS, CLS/SEP).")
    var noSpecial = false

    @Option(help: "Comma-separated ids to decode instead of encoding, e.g. \"1,2,3\".")
    var decode: String?

    @Flag(name: .customLong("skip-special"), help: "With --decode, drop special tokens.")
    var skipSpecial = false

    func run() throws {
        let tokenizer = try TokenizerLoader.load(path: model)
        if let decode {
            var ids: [Int] = []
            for part in decode.split(separator: ",") {
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("'\(part)' is not an id")
                }
                ids.append(id)
            }
            print(tokenizer.decode(ids, skipSpecialTokens: skipSpecial))
            return
        }
        let input: String
        if let text {
            input = text
        } else {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            // Standard input is bytes: reject invalid UTF-8 with its offset rather than guess.
            if let offset = Self.invalidUTF8Offset(data) { throw ValidationError("standard input is not UTF-8 (byte \(offset))") }
            input = String(decoding: data, as: UTF8.self)
        }
        let encoding = tokenizer.encoding(input, addSpecialTokens: !noSpecial, applyTruncationAndPadding: false)
        struct Output: Encodable {
            var ids: [Int]
            var tokens: [String]
            var offsets: [[Int]]
        }
        let output = Output(
            ids: encoding.ids, tokens: encoding.tokens, offsets: encoding.offsets.map { [$0.lowerBound, $0.upperBound] })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(output), as: UTF8.self))
    }

    static func invalidUTF8Offset(_ data: Data) -> Int? {
        var iterator = data.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
