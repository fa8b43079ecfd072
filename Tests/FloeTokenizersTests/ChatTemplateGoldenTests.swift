import Foundation
import Testing

@testable import FloeTokenizers

/// Byte-for-byte agreement with Python jinja2 configured like transformers'
/// `apply_chat_template` (goldens from scripts/make_chat_template_goldens.py).
@Suite struct ChatTemplateGoldenTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chat_templates")

    struct Case: CustomTestStringConvertible, Sendable {
        let template: String
        let conversation: String
        let addGenerationPrompt: Bool
        let output: String?
        let error: String?
        /// jinja2's exception class: `TemplateError` for `raise_exception`, else e.g. `UndefinedError`.
        let errorType: String?
        var testDescription: String { "\(template)/\(conversation)/agp=\(addGenerationPrompt)" }
    }

    static let goldens: TemplateObject = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("goldens.json"))
        guard case .object(let root) = try! TemplateValue(jsonData: data) else { fatalError("goldens.json is not an object") }
        return root
    }()

    static let cases: [Case] = {
        guard case .array(let items)? = goldens["cases"] else { return [] }
        return items.compactMap { item in
            guard case .object(let c) = item, case .string(let t)? = c["template"], case .string(let conv)? = c["conversation"],
                case .bool(let agp)? = c["add_generation_prompt"]
            else { return nil }
            var output: String? = nil
            var error: String? = nil
            var errorType: String? = nil
            if case .string(let o)? = c["output"] { output = o }
            if case .string(let e)? = c["error"] { error = e }
            if case .string(let e)? = c["error_type"] { errorType = e }
            return Case(
                template: t, conversation: conv, addGenerationPrompt: agp, output: output, error: error, errorType: errorType)
        }
    }()

    /// 2025-03-14T09:26:53 in UTC: the pinned `strftime_now` clock of the generator.
    static let fixedNow = Date(timeIntervalSince1970: 1_741_944_413)

    @Test func goldensCoverEveryTemplate() {
        #expect(Self.cases.count >= 60)
        #expect(Set(Self.cases.map(\.template)).isSuperset(of: ["smollm2", "qwen2.5", "llama2", "llama3", "llama3.2", "mistral-nemo"]))
    }

    @Test(arguments: cases) func rendersLikeTransformers(_ c: Case) throws {
        guard case .object(let templates)? = Self.goldens["templates"], case .object(let info)? = templates[c.template],
            case .string(let file)? = info["file"], case .object(let context)? = info["context"],
            case .object(let conversations)? = Self.goldens["conversations"], case .object(let conv)? = conversations[c.conversation],
            case .array(let messages)? = conv["messages"]
        else {
            Issue.record("malformed goldens for \(c.testDescription)")
            return
        }
        var tools: [TemplateValue]? = nil
        if case .array(let t)? = conv["tools"] { tools = t }
        var extra: [String: TemplateValue] = [:]
        for (k, v) in context.pairs { extra[k] = v }

        let source = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
        var template = try ChatTemplate(source)
        template.timeZone = TimeZone(identifier: "UTC")!
        do {
            let rendered = try template.render(
                messages: messages, tools: tools, addGenerationPrompt: c.addGenerationPrompt, extraContext: extra,
                now: Self.fixedNow)
            if let expected = c.output {
                #expect(rendered == expected, "\(c.testDescription)\n--- got ---\n\(rendered)\n--- expected ---\n\(expected)")
            } else {
                Issue.record("expected error '\(c.error ?? "")', rendered: \(rendered)")
            }
        } catch let e as ChatTemplateError {
            guard let expectedError = c.error else {
                Issue.record("unexpected error \(e) for \(c.testDescription)")
                return
            }
            switch e {
            case .raised(let message):
                #expect(c.errorType == "TemplateError", "raised '\(message)', jinja2 failed with \(c.errorType ?? "?")")
                #expect(message == expectedError)
            case .runtime, .syntax:
                #expect(c.errorType != "TemplateError", "\(e), jinja2 raised '\(expectedError)'")
            }
        }
    }
}
