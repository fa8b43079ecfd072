/// An error as the OpenAI API reports it: an HTTP status plus
/// `{"error": {"message", "type", "param", "code"}}`. Every failure a client can see ends up as
/// one of these (FloeServer's `ErrorMapping` is the one place that builds them from errors).
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    /// A seconds value for `Retry-After` (429, 503).
    public var retryAfter: Int?

    public init(status: Int, message: String, type: String, param: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.retryAfter = retryAfter
    }

    public static func badRequest(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "BadRequestError", param: param)
    }

    public static func notSupported(_ feature: String) -> OpenAIError {
        .badRequest("\(feature) is not supported yet", param: feature)
    }

    public var description: String { "\(status) \(type): \(message)" }

    /// The JSON body.
    public var body: Body { Body(error: .init(message: message, type: type, param: param, code: status)) }

    public struct Body: Codable, Sendable, Equatable {
        public var error: Detail

        public struct Detail: Codable, Sendable, Equatable {
            public var message: String
            public var type: String
            public var param: String?
            public var code: Int

            // `param` is always present (null when unset), as OpenAI's bodies have it.
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encode(param, forKey: .param)
                try c.encode(code, forKey: .code)
            }
        }
    }
}
