/// Splits digits from everything else (HF `Digits`); with `individualDigits`, each digit is its
/// own piece. SmolLM2 relies on this: without it numbers merge into multi-digit tokens the model
/// never saw. "Digit" means a Unicode number (Rust's `char::is_numeric`), so "½" splits too.
public struct DigitsPreTokenizer: PreTokenizer {
    public let individualDigits: Bool

    public init(individualDigits: Bool) {
        self.individualDigits = individualDigits
    }

    public func preTokenize(_ text: String, into pieces: inout [String]) {
        // Fast path: nothing to split.
        guard text.unicodeScalars.contains(where: ScalarClass.isNumber) else {
            if !text.isEmpty { pieces.append(text) }
            return
        }
        var current = String.UnicodeScalarView()
        var currentIsNumber = false
        for scalar in text.unicodeScalars {
            let isNumber = ScalarClass.isNumber(scalar)
            if !current.isEmpty, isNumber != currentIsNumber || (isNumber && individualDigits) {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
            }
            current.append(scalar)
            currentIsNumber = isNumber
        }
        if !current.isEmpty { pieces.append(String(current)) }
    }
}
