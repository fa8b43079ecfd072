import FloeEngine

/// Log-probabilities in the two OpenAI layouts. Token texts come from the caller (the server's
/// tokenizer). -infinity (a token masked out) is not valid JSON, so values are clamped to
/// -9999, as vLLM does.
public enum LogprobsPayload {
    static func finite(_ value: Float) -> Float { max(value, -9999) }

    /// `/v1/completions`: parallel lists, `top_logprobs` as token → logprob maps.
    public struct Completion: Encodable, Sendable {
        public var tokens: [String]
        public var tokenLogprobs: [Float]
        public var topLogprobs: [[String: Float]]
        /// Character offsets of each token in the choice's text (non-streamed responses only).
        public var textOffset: [Int]?

        enum CodingKeys: String, CodingKey {
            case tokens
            case tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
        }

        public init(_ positions: [PositionLogprobs], withOffsets: Bool, text: (Int) -> String) {
            tokens = positions.map { text($0.chosen.tokenID) }
            tokenLogprobs = positions.map { finite($0.chosen.logprob) }
            topLogprobs = positions.map { position in
                // The chosen token is always listed, as vLLM does; distinct ids may share a text.
                var top: [String: Float] = [text(position.chosen.tokenID): finite(position.chosen.logprob)]
                for entry in position.top where top[text(entry.tokenID)] == nil { top[text(entry.tokenID)] = finite(entry.logprob) }
                return top
            }
            if withOffsets {
                var offset = 0
                textOffset = tokens.map { token in
                    defer { offset += token.count }
                    return offset
                }
            }
        }
    }

    /// `/v1/chat/completions`: `{"content": [{"token", "logprob", "bytes", "top_logprobs"}]}`.
    public struct Chat: Encodable, Sendable {
        public var content: [Entry]

        public struct Top: Encodable, Sendable {
            public var token: String
            public var logprob: Float
            public var bytes: [UInt8]
        }

        public struct Entry: Encodable, Sendable {
            public var token: String
            public var logprob: Float
            public var bytes: [UInt8]
            public var topLogprobs: [Top]

            enum CodingKeys: String, CodingKey {
                case token, logprob, bytes
                case topLogprobs = "top_logprobs"
            }
        }

        public init(_ positions: [PositionLogprobs], text: (Int) -> String) {
            content = positions.map { position in
                let token = text(position.chosen.tokenID)
                return Entry(
                    token: token, logprob: finite(position.chosen.logprob), bytes: Array(token.utf8),
                    topLogprobs: position.top.map {
                        let t = text($0.tokenID)
                        return Top(token: t, logprob: finite($0.logprob), bytes: Array(t.utf8))
                    })
            }
        }
    }
}
