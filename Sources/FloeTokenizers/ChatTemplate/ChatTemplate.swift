import Foundation

/// A Hugging Face chat template (the Jinja `chat_template` of `tokenizer_config.json`), parsed
/// once and rendered per request with the same variables and environment as transformers'
/// `apply_chat_template`: `messages`, `tools`, `documents`, `add_generation_prompt`, special
/// tokens through `extraContext`, `raise_exception` and `strftime_now`, and jinja2 configured
/// with `trim_blocks`, `lstrip_blocks` and loop controls.
///
/// Implements the Jinja subset real chat templates use; see `Sources/FloeTokenizers/ChatTemplate`.
public struct ChatTemplate: Sendable {
    public let source: String
    private let nodes: [JinjaNode]
    /// Time zone for `strftime_now`; transformers uses the server's local time.
    public var timeZone: TimeZone = .current

    /// Parses `source`; throws `ChatTemplateError.syntax` with line and column on bad input.
    public init(_ source: String) throws {
        self.source = source
        self.nodes = try JinjaParser.parse(source)
    }

    /// Renders typed messages. `tools` are function definitions (OpenAI `{"type": "function",
    /// "function": {...}}` objects); nil leaves `tools` as `none`, as transformers does.
    /// `extraContext` adds or overrides variables (`bos_token`, `eos_token`, `date_string`...).
    /// `now` fixes the clock of `strftime_now` (tests, reproducible prompts).
    public func render(
        messages: [ChatMessage], tools: [TemplateValue]? = nil, addGenerationPrompt: Bool,
        extraContext: [String: TemplateValue] = [:], now: Date? = nil
    ) throws -> String {
        try render(
            messages: messages.map(\.templateValue), tools: tools, addGenerationPrompt: addGenerationPrompt,
            extraContext: extraContext, now: now)
    }

    /// Renders messages given as JSON-like values (e.g. straight from an OpenAI request body).
    public func render(
        messages: [TemplateValue], tools: [TemplateValue]? = nil, addGenerationPrompt: Bool,
        extraContext: [String: TemplateValue] = [:], now: Date? = nil
    ) throws -> String {
        let interpreter = JinjaInterpreter(now: now ?? Date(), timeZone: timeZone)
        let globals = JinjaScope(parent: nil)
        globals.variables = interpreter.builtins()
        let context = JinjaScope(parent: globals)
        context.variables["messages"] = .list(messages.map(JinjaValue.init))
        context.variables["tools"] = tools.map { .list($0.map(JinjaValue.init)) } ?? JinjaValue.none
        context.variables["documents"] = JinjaValue.none
        context.variables["add_generation_prompt"] = .bool(addGenerationPrompt)
        for (k, v) in extraContext { context.variables[k] = JinjaValue(v) }
        var out = ""
        _ = try interpreter.render(nodes, scope: context, into: &out)
        return out
    }
}
