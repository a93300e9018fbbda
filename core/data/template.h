#pragma once
// Instruction templates: a record rendered as text segments, each marked as
// prompt (no loss) or response (loss). Chat records render every turn; the
// loss goes on assistant turns.
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace tb::data {

enum class TemplateKind {
    // Stanford Alpaca's prompt (with and without input), response after it.
    // https://github.com/tatsu-lab/stanford_alpaca/blob/main/train.py
    Alpaca,
    // <|im_start|>role\ncontent<|im_end|>\n per turn; the prompt ends with
    // "<|im_start|>assistant\n". Loss on the assistant's "content<|im_end|>".
    ChatMl,
    // "{prompt}\n{response}".
    Plain,
};

struct Segment {
    std::string text;
    bool loss = false; // true: a response the model learns to produce
};

// How shapes meet templates:
// - Text: one loss segment, the text as is, under every template.
// - Alpaca under ChatMl/Plain: the prompt is the instruction, then "\n\n" and
//   the input when there is one.
// - PromptResponse under Alpaca: the prompt is the instruction, no input.
// - Chat under Plain: each turn's content and "\n", in order; loss on the
//   assistant contents. Under Alpaca only one user turn then one assistant
//   turn is accepted (the template has no place for a system prompt or more
//   turns); anything else throws tb::Error naming the record's origin.
std::vector<Segment> renderRecord(const Record& record, TemplateKind kind);

// The prompt text of a single-turn record, for generation at evaluation time:
// the concatenation of the segments before the first loss segment.
std::string renderPrompt(const Record& record, TemplateKind kind);

// "alpaca", "chatml", "plain"; the parse throws naming the choices.
std::string templateName(TemplateKind kind);
TemplateKind templateFromName(std::string_view name);

} // namespace tb::data
