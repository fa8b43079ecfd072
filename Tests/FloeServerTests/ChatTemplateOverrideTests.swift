import FloeTokenizers
import Foundation
import Testing

/// `--chat-template` replaces the model's template, and messages reach it as sent: tool calls
/// and tools included (they are passed as parsed JSON, not re-encoded from typed messages).
@Suite(.serialized)
struct ChatTemplateOverrideTests {
    // One line with explicit newlines: templates render with trim_blocks, like transformers.
    static let template =
        "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.tool_calls %} calls {{ m.tool_calls[0].function.name }}{% endif %}{{ '\\n' }}"
        + "{% endfor %}{% if tools %}tools: {{ tools | tojson }}{{ '\\n' }}{% endif %}{% if add_generation_prompt %}assistant:{% endif %}"

    @Test func messagesAndToolsPassThroughTheOverride() async throws {
        let server = try await TestServer.start { $0.chatTemplate = try? ChatTemplate(Self.template) }
        let body = #"""
            {"messages": [{"role": "user", "content": "Weather?"},
                          {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]}],
             "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]}
            """#
        let tokenized = try await server.request(.POST, "/tokenize", body: body)
        let chat = try await server.request(
            "/v1/chat/completions",
            json: ["messages": [["role": "user", "content": "Once upon a time"]], "max_tokens": 4, "logprobs": true, "top_logprobs": 3])
        await server.stop()
        // A null content prints as None, as in Python Jinja.
        let expected = """
            user: Weather?
            assistant: None calls get_weather
            tools: [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]
            assistant:
            """
        #expect(tokenized.status == 200)
        #expect(tokenized.json["tokens"] as? [Int] == server.llm.tokenizer.encode(expected, addSpecialTokens: false))
        #expect(chat.status == 200)
        #expect((chat.json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 4)
        let choice = (chat.json["choices"] as? [[String: Any]])?.first
        let content = (choice?["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? []
        #expect(content.count == 4)
        #expect(content.allSatisfy { ($0["top_logprobs"] as? [[String: Any]])?.count == 3 && $0["logprob"] is Double })
    }
}
