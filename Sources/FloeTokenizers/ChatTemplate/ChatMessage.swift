/// One conversation turn in the shape chat templates expect (OpenAI / transformers message dicts).
///
/// Only fields that are set become keys of the message dict: templates test presence with
/// `'tool_calls' in message` or `message.name is defined`, so absent must stay absent.
public struct ChatMessage: Sendable, Hashable {
    public var role: String
    /// Usually a string; may be a list of content parts or null (assistant turns with tool calls).
    public var content: TemplateValue
    public var toolCalls: [ToolCall]?
    public var toolCallID: String?
    public var name: String?
    /// Any further keys (e.g. `reasoning_content`), appended after the standard ones.
    public var extra: TemplateObject

    public init(
        role: String, content: TemplateValue, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil,
        name: String? = nil, extra: TemplateObject = TemplateObject()
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
        self.extra = extra
    }

    public init(role: String, _ content: String) {
        self.init(role: role, content: .string(content))
    }

    /// A call the assistant made; `arguments` is a dict (transformers' convention), not a JSON string.
    public struct ToolCall: Sendable, Hashable {
        public var id: String?
        public var type: String
        public var name: String
        public var arguments: TemplateValue

        public init(id: String? = nil, type: String = "function", name: String, arguments: TemplateValue) {
            self.id = id
            self.type = type
            self.name = name
            self.arguments = arguments
        }

        /// `{"id"?, "type", "function": {"name", "arguments"}}`, the OpenAI layout.
        public var templateValue: TemplateValue {
            var call = TemplateObject()
            if let id { call["id"] = .string(id) }
            call["type"] = .string(type)
            call["function"] = .object(TemplateObject([("name", .string(name)), ("arguments", arguments)]))
            return .object(call)
        }
    }

    /// The message as the dict a template sees.
    public var templateValue: TemplateValue {
        var object = TemplateObject()
        object["role"] = .string(role)
        object["content"] = content
        if let toolCalls { object["tool_calls"] = .array(toolCalls.map(\.templateValue)) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let name { object["name"] = .string(name) }
        for (k, v) in extra.pairs { object[k] = v }
        return .object(object)
    }
}
