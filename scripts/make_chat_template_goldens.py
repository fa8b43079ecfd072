#!/usr/bin/env python3
"""Writes Tests/Fixtures/chat_templates/goldens.json: chat-template renderings that Floe's
Swift Jinja implementation (Sources/FloeTokenizers/ChatTemplate) must reproduce byte for byte.

Rendering mirrors Hugging Face transformers' `apply_chat_template`, as read in
`src/transformers/utils/chat_template_utils.py` (`_compile_jinja_template` and
`render_jinja_template`, transformers main at commit 5e43e2e892453b405ce6d2cb94387b3a3213f30a,
the 4.4x/4.5x line):

- environment: `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
  extensions=[AssistantTracker, jinja2.ext.loopcontrols])`; the AssistantTracker extension only
  adds the `{% generation %}` tag, reproduced here as a pass-through tag;
- `tojson` filter overridden with `json.dumps(x, ensure_ascii=False, indent=indent,
  separators=separators, sort_keys=sort_keys)`;
- globals `raise_exception(message)` (raises TemplateError) and `strftime_now(format)`
  (`datetime.now().strftime(format)`; here pinned to FIXED_NOW so goldens are deterministic);
- render variables: `messages`, `tools` (None when absent), `documents` (None),
  `add_generation_prompt`, plus the tokenizer's special tokens (`bos_token`, `eos_token`, ...).

Templates are copied next to the goldens (Tests/Fixtures/chat_templates/*.jinja) so tests only
read files inside the repository. SmolLM2, Qwen2.5 and Llama 3 come from /work/shared/models; the
Llama 3.1 / 3.2 and Mistral Nemo templates come from a llama.cpp checkout's models/templates
(LLAMA_CPP_TEMPLATES) when present, else from the copies already in the fixture folder. Llama 2's
template is the hand-written llama2.jinja in the fixture folder (our Llama 2 tokenizer_config.json
has none). Requires jinja2 (3.1.6 was used).

Usage: python3 scripts/make_chat_template_goldens.py
"""

import datetime
import json
import os
import pathlib
import shutil

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "Tests" / "Fixtures" / "chat_templates"
SHARED = pathlib.Path("/work/shared/models")
# Llama 3.1 / 3.2 templates (tools, date handling, builtin tools) as vendored by llama.cpp
# (github.com/ggml-org/llama.cpp models/templates, MIT repo; the templates are Meta's).
LLAMA_CPP_TEMPLATES = pathlib.Path(os.environ.get("LLAMA_CPP_TEMPLATES", "/tmp/jinja-ref"))

FIXED_NOW = datetime.datetime(2025, 3, 14, 9, 26, 53)


class GenerationTag(jinja2.ext.Extension):
    """`{% generation %}...{% endgeneration %}` renders its body (transformers' AssistantTracker
    does the same when no tracker is active)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def special_tokens(config_path):
    config = json.loads(pathlib.Path(config_path).read_text())
    tokens = {}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
        value = config.get(key)
        if isinstance(value, dict):  # AddedToken serialisation
            value = value.get("content")
        if value is not None:
            tokens[key] = value
    return tokens


def load_templates():
    """name -> (template source, special tokens). Sources are copied into the fixture folder."""
    llama3_config = SHARED / "tokenizers/llama3/tokenizer_config.json"
    templates = {
        "smollm2": (
            (SHARED / "SmolLM2-135M-Instruct/hf-config/chat_template.jinja").read_text(),
            special_tokens(SHARED / "SmolLM2-135M-Instruct/hf-config/tokenizer_config.json"),
        ),
        "qwen2.5": (
            (SHARED / "Qwen2.5-Coder-0.5B-Instruct/hf-config/chat_template.jinja").read_text(),
            special_tokens(SHARED / "Qwen2.5-Coder-0.5B-Instruct/hf-config/tokenizer_config.json"),
        ),
        "llama3": (json.loads(llama3_config.read_text())["chat_template"], special_tokens(llama3_config)),
    }
    llama2_config_path = SHARED / "tokenizers/llama2/tokenizer_config.json"
    llama2_config = json.loads(llama2_config_path.read_text())
    if llama2_config.get("chat_template"):
        templates["llama2"] = (llama2_config["chat_template"], special_tokens(llama2_config_path))
    elif (OUT / "llama2.jinja").exists():
        # Our llama2 tokenizer_config.json has no chat_template: llama2.jinja is a hand-written
        # reconstruction of meta-llama/Llama-2-7b-chat-hf's template (see SOURCE.md).
        templates["llama2"] = ((OUT / "llama2.jinja").read_text(), special_tokens(llama2_config_path))
    # Mistral-Nemo-Instruct-2407's tokenizer_config.json is not in our data; its special tokens.
    mistral_tokens = {"bos_token": "<s>", "eos_token": "</s>"}
    for name, file, tokens in (
        ("llama3.1", "meta-llama-Llama-3.1-8B-Instruct.jinja", special_tokens(llama3_config)),
        ("llama3.2", "meta-llama-Llama-3.2-3B-Instruct.jinja", special_tokens(llama3_config)),
        ("mistral-nemo", "mistralai-Mistral-Nemo-Instruct-2407.jinja", mistral_tokens),
    ):
        path = LLAMA_CPP_TEMPLATES / file
        if path.exists():
            templates[name] = (path.read_text(), tokens)
        elif (OUT / f"{name}.jinja").exists():
            templates[name] = ((OUT / f"{name}.jinja").read_text(), tokens)
    return templates


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and country, e.g. Paris, France"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a time zone",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    },
}

CONVERSATIONS = {
    "single_user": {"messages": [{"role": "user", "content": "Hello!"}]},
    "multi_turn": {
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "2+2 equals 4."},
            {"role": "user", "content": "And 3+3?"},
        ]
    },
    "multi_turn_system": {
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Name a color."},
            {"role": "assistant", "content": "Blue."},
            {"role": "user", "content": "Another one."},
        ]
    },
    "unicode_whitespace": {
        "messages": [
            {"role": "system", "content": "  Réponds en français.\n"},
            {"role": "user", "content": "  Ça va? 🌍 \"quotes\" <tag> \\ tab\there\n\n"},
        ]
    },
    "tools": {
        "messages": [{"role": "user", "content": "What's the weather in Paris?"}],
        "tools": [WEATHER_TOOL, TIME_TOOL],
    },
    "tools_system": {
        "messages": [
            {"role": "system", "content": "You help with weather."},
            {"role": "user", "content": "Weather in Tokyo in fahrenheit?"},
        ],
        "tools": [WEATHER_TOOL],
    },
    "tool_call_roundtrip": {
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_current_weather", "arguments": {"location": "Paris, France", "unit": "celsius"}},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "name": "get_current_weather", "content": "{\"temperature\": 18, \"sky\": \"clear\"}"},
            {"role": "assistant", "content": "It is 18°C and clear in Paris."},
            {"role": "user", "content": "Thanks!"},
        ],
        "tools": [WEATHER_TOOL],
    },
    "parallel_tool_calls": {
        "messages": [
            {"role": "user", "content": "Weather in Paris and the time in Tokyo?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": "Paris"}}},
                    {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "Asia/Tokyo"}}},
                ],
            },
            {"role": "tool", "content": "18 degrees"},
            {"role": "tool", "content": "21:04"},
        ],
        "tools": [WEATHER_TOOL, TIME_TOOL],
    },
    # Two user turns in a row: Llama 2 and Mistral raise their role-alternation errors.
    "non_alternating": {
        "messages": [
            {"role": "user", "content": "Hi."},
            {"role": "user", "content": "Are you there?"},
        ]
    },
    # Tool call round trip with 9-character alphanumeric ids, the shape Mistral's template accepts.
    "tool_call_id9_roundtrip": {
        "messages": [
            {"role": "system", "content": "Use tools when useful."},
            {"role": "user", "content": "What's the weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "a1B2c3D4e",
                        "type": "function",
                        "function": {"name": "get_current_weather", "arguments": {"location": "Paris, France"}},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "a1B2c3D4e", "name": "get_current_weather", "content": "{\"temperature\": 18}"},
            {"role": "assistant", "content": "18°C in Paris."},
            {"role": "user", "content": "Thanks!"},
        ],
        "tools": [WEATHER_TOOL],
    },
}


def render(env, source, conversation, add_generation_prompt, tokens):
    template = env.from_string(source)
    try:
        output = template.render(
            messages=conversation["messages"],
            tools=conversation.get("tools"),
            documents=None,
            add_generation_prompt=add_generation_prompt,
            **tokens,
        )
        return {"output": output}
    except Exception as e:  # the Swift side must fail the same way
        return {"error": str(e), "error_type": type(e).__name__}


def main():
    env = make_environment()
    OUT.mkdir(parents=True, exist_ok=True)
    templates = load_templates()
    goldens = {
        "generator": "scripts/make_chat_template_goldens.py",
        "jinja2_version": jinja2.__version__,
        "now": FIXED_NOW.isoformat(),
        "templates": {},
        "conversations": CONVERSATIONS,
        "cases": [],
    }
    for name, (source, tokens) in templates.items():
        file = f"{name}.jinja"
        (OUT / file).write_text(source)
        goldens["templates"][name] = {"file": file, "context": tokens}
        for conv_name, conversation in CONVERSATIONS.items():
            for agp in (False, True):
                case = {"template": name, "conversation": conv_name, "add_generation_prompt": agp}
                case.update(render(env, source, conversation, agp, tokens))
                goldens["cases"].append(case)
    (OUT / "goldens.json").write_text(json.dumps(goldens, ensure_ascii=False, indent=1) + "\n")
    errors = sum("error" in c for c in goldens["cases"])
    print(f"wrote {len(goldens['cases'])} cases ({errors} expected errors) for {sorted(templates)}")


if __name__ == "__main__":
    main()
