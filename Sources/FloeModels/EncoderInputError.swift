/// Input an encoder cannot run, found before any op is issued.
public enum EncoderInputError: Error, CustomStringConvertible, Equatable {
    case emptySequence(index: Int)
    case sequenceTooLong(index: Int, length: Int, limit: Int)
    case tokenOutOfRange(index: Int, token: Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case .emptySequence(let index): "input \(index) has no tokens"
        case .sequenceTooLong(let index, let length, let limit):
            "input \(index) has \(length) tokens, more than the model's limit of \(limit)"
        case .tokenOutOfRange(let index, let token, let vocabularySize):
            "input \(index) has token id \(token), outside the vocabulary [0, \(vocabularySize))"
        }
    }
}
