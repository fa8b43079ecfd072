import Foundation
import Testing

@testable import FloeTokenizers

/// Jinja semantics beyond the model goldens: whitespace control, loops, scoping, macros,
/// filters, tests, undefined, plus error reporting and robustness.
@Suite struct ChatTemplateSemanticsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let group: String
        let source: String
        let expected: String
        init(_ group: String, _ source: String, _ expected: String) {
            self.group = group
            self.source = source
            self.expected = expected
        }
        var testDescription: String { "\(group): \(source.prefix(60))" }
    }

    static let context: [String: TemplateValue] = [
        "d": ["a": 1, "b": [1, 2]],
        "xs": [3, 1, 2],
        "s": "héllo wORld",
        "users": [
            ["name": "Ann", "age": 31, "admin": true],
            ["name": "bob", "age": 25, "admin": false],
            ["name": "Cy", "age": 40],
        ],
    ]

    static func render(_ source: String, _ extra: [String: TemplateValue] = context, now: Date? = nil) throws -> String {
        try ChatTemplate(source).render(messages: [TemplateValue](), addGenerationPrompt: false, extraContext: extra, now: now)
    }

    @Test(arguments: ChatTemplateJinjaCases.all) func matchesJinja2(_ c: Case) throws {
        let out = try Self.render(c.source)
        #expect(out == c.expected, "source: \(c.source)")
    }

    // MARK: chat API

    @Test func typedMessagesExposeOpenAIFields() throws {
        let template = try ChatTemplate(
            """
            {%- for m in messages -%}
            {{ m.role }}:{{ m.content }}|{{ m.tool_call_id is defined }}|{{ 'tool_calls' in m }}
            {%- for c in m.tool_calls -%}[{{ c.type }} {{ c.function.name }} {{ c.function.arguments|tojson }}]{%- endfor %}
            {{ m.name|default('-') }}
            {% endfor -%}
            {{ tools|length }}{{ add_generation_prompt }}{{ bos_token }}
            """)
        let messages = [
            ChatMessage(role: "user", "hi"),
            ChatMessage(
                role: "assistant", content: nil,
                toolCalls: [.init(id: "c1", name: "get", arguments: ["q": "x", "n": 2])]),
            ChatMessage(role: "tool", content: "42", toolCallID: "c1", name: "get"),
        ]
        let out = try template.render(
            messages: messages, tools: [["type": "function"]], addGenerationPrompt: true, extraContext: ["bos_token": "<s>"])
        #expect(
            out == """
                user:hi|False|False-
                assistant:None|False|True[function get {"q": "x", "n": 2}]-
                tool:42|True|Falseget
                1True<s>
                """)
    }

    @Test func toolsDefaultToNoneAndCanBeOverridden() throws {
        #expect(try Self.render("{{ tools is none }}{{ tools is defined }}{{ documents is none }}") == "TrueTrueTrue")
        #expect(try Self.render("{{ date_string }}", ["date_string": "01 Jan 2000"]) == "01 Jan 2000")
    }

    @Test func foundationJSONBridges() throws {
        let json = #"{"role": "user", "content": "é \"x\"", "n": 1, "f": 1.5, "b": true, "z": null, "a": [1, {"k": "v"}]}"#
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let fromFoundation = try #require(TemplateValue(jsonObject: object))
        let ordered = try TemplateValue(jsonString: json)
        guard case .object(let o) = ordered, case .object(let f) = fromFoundation else {
            Issue.record("not objects")
            return
        }
        #expect(o.keys == ["role", "content", "n", "f", "b", "z", "a"])
        #expect(f.keys == o.keys.sorted())
        for k in o.keys { #expect(o[k] == f[k], "key \(k)") }
        #expect(o["b"] == .bool(true) && o["n"] == .int(1) && o["f"] == .double(1.5))
        #expect(throws: (any Error).self) { try TemplateValue(jsonString: #"{"a": }"#) }
    }

    @Test func strftimeNowUsesInjectedClock() throws {
        var template = try ChatTemplate(#"{{ strftime_now("%d %b %Y") }}|{{ strftime_now("%Y-%m-%dT%H:%M:%S %A %B %j %-d %p") }}"#)
        template.timeZone = TimeZone(identifier: "UTC")!
        let out = try template.render(
            messages: [TemplateValue](), addGenerationPrompt: false, now: Date(timeIntervalSince1970: 1_709_251_200))  // 2024-03-01
        #expect(out == "01 Mar 2024|2024-03-01T00:00:00 Friday March 061 1 AM")
    }

    @Test func templateIsReusableAcrossThreads() async throws {
        let template = try ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}")
        try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<8 {
                group.addTask { try template.render(messages: [ChatMessage(role: "user", "m\(i)")], addGenerationPrompt: false) }
            }
            var results: [String] = []
            for try await r in group { results.append(r) }
            #expect(Set(results) == Set((0..<8).map { "m\($0)" }))
        }
    }

    // MARK: errors

    @Test func raiseExceptionSurfacesMessage() throws {
        let template = try ChatTemplate(
            "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
        )
        #expect(throws: ChatTemplateError.raised(message: "Conversation roles must alternate user/assistant/user/assistant/...")) {
            try template.render(messages: [ChatMessage(role: "assistant", "x")], addGenerationPrompt: false)
        }
    }

    @Test(arguments: [
        ("{% if x %}\n  ok\n{% endfi %}", 3, 4),
        ("line one\n{{ 1 + }}", 2, 8),
        ("{% for x in %}{% endfor %}", 1, 13),
        ("{{ 'unterminated }}", 1, 4),
        ("ab\n{% if true %}x", 2, 15),
        ("{# never closed", 1, 1),
        ("{{ a[1 }}", 1, 8),
        ("{% set %}", 1, 8),
        ("{% include 'x' %}", 1, 4),
    ])
    func syntaxErrorsCarryPosition(_ source: String, _ line: Int, _ column: Int) {
        do {
            _ = try ChatTemplate(source)
            Issue.record("expected a syntax error for \(source)")
        } catch ChatTemplateError.syntax(_, let l, let c) {
            #expect(l == line && c == column, "\(source): got \(l):\(c)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [
        "{{ 1 + 'a' }}", "{{ missing + 1 }}", "{{ 1 // 0 }}", "{{ xs.append(4) }}", "{{ nope() }}", "{{ 3|nofilter }}",
        "{{ 3 is notatest }}", "{% for x in 3 %}{% endfor %}", "{{ 9223372036854775807 + 1 }}", "{{ 2 ** 200 }}",
        "{{ range(10**9)|length }}", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "{{ missing|tojson }}",
        "{% set a, b = [1] %}", "{{ 'x' * 100000000 }}",
    ])
    func runtimeErrorsThrow(_ source: String) throws {
        let template = try ChatTemplate("\n" + source)
        do {
            _ = try template.render(messages: [TemplateValue](), addGenerationPrompt: false, extraContext: Self.context)
            Issue.record("expected a runtime error for \(source)")
        } catch ChatTemplateError.runtime(_, let line) {
            #expect(line == 2)
        }
    }

    /// Truncations and byte-level damage of real templates must throw or render, never crash.
    @Test func damagedTemplatesNeverCrash() throws {
        let folder = ChatTemplateGoldenTests.folder
        var generator = SeededTestRandom(seed: 0x5EED)
        let messages: [ChatMessage] = [.init(role: "system", "s"), .init(role: "user", "u"), .init(role: "assistant", "a")]
        for name in ["smollm2", "qwen2.5", "llama3", "llama3.1", "llama3.2"] {
            let source = try String(contentsOf: folder.appendingPathComponent("\(name).jinja"), encoding: .utf8)
            let scalars = Array(source.unicodeScalars)
            var variants: [String] = []
            for _ in 0..<60 { variants.append(JinjaStrings.string(scalars.prefix(Int(generator.next() % UInt64(scalars.count))))) }
            for _ in 0..<60 {
                var damaged = scalars
                for _ in 0..<3 {
                    let i = Int(generator.next() % UInt64(damaged.count))
                    let pieces: [Unicode.Scalar] = ["{", "}", "%", "(", ")", "'", "\"", "-", "|", "[", "#", " "]
                    damaged[i] = pieces[Int(generator.next() % UInt64(pieces.count))]
                }
                variants.append(JinjaStrings.string(damaged))
            }
            for variant in variants {
                guard let template = try? ChatTemplate(variant) else { continue }
                _ = try? template.render(messages: messages, addGenerationPrompt: true)
            }
        }
    }
}
