#include "data/template.h"

#include "common/error.h"

namespace tb::data {

namespace {

// Verbatim from PROMPT_DICT in Stanford Alpaca's train.py, which ends the
// prompt at "### Response:" and puts the output right after it.
const char* const kAlpacaWithInput =
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n";
const char* const kAlpacaNoInput =
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n";

std::string alpacaPrompt(const std::string& instruction, const std::string& input)
{
    if (input.empty())
        return kAlpacaNoInput + instruction + "\n\n### Response:";
    return kAlpacaWithInput + instruction + "\n\n### Input:\n" + input + "\n\n### Response:";
}

std::string joinedPrompt(const Record& r)
{
    if (r.shape == RecordShape::Alpaca)
        return r.input.empty() ? r.instruction : r.instruction + "\n\n" + r.input;
    return r.prompt;
}

std::string joinedResponse(const Record& r)
{
    return r.shape == RecordShape::Alpaca ? r.output : r.response;
}

std::vector<Segment> renderChatMl(const std::vector<Message>& messages)
{
    std::vector<Segment> out;
    for (const Message& m : messages) {
        if (m.role == "assistant") {
            out.push_back({"<|im_start|>assistant\n", false});
            out.push_back({m.content + "<|im_end|>", true});
            out.push_back({"\n", false});
        } else {
            out.push_back({"<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n", false});
        }
    }
    return out;
}

} // namespace

std::vector<Segment> renderRecord(const Record& r, TemplateKind kind)
{
    if (r.shape == RecordShape::Text)
        return {{r.text, true}};

    if (r.shape == RecordShape::Chat) {
        switch (kind) {
        case TemplateKind::ChatMl:
            return renderChatMl(r.messages);
        case TemplateKind::Plain: {
            std::vector<Segment> out;
            for (const Message& m : r.messages) {
                out.push_back({m.content, m.role == "assistant"});
                out.push_back({"\n", false});
            }
            out.pop_back(); // "{prompt}\n{response}": nothing after the last turn
            return out;
        }
        case TemplateKind::Alpaca:
            if (r.messages.size() != 2 || r.messages[0].role != "user" || r.messages[1].role != "assistant")
                throw Error(r.origin + ": field 'messages': the alpaca template takes one user turn then one "
                            "assistant turn, found " + std::to_string(r.messages.size())
                            + " turns; use the chatml template for conversations");
            return {{alpacaPrompt(r.messages[0].content, ""), false}, {r.messages[1].content, true}};
        }
    }

    switch (kind) {
    case TemplateKind::Alpaca:
        if (r.shape == RecordShape::Alpaca)
            return {{alpacaPrompt(r.instruction, r.input), false}, {r.output, true}};
        return {{alpacaPrompt(r.prompt, ""), false}, {r.response, true}};
    case TemplateKind::ChatMl:
        return renderChatMl({{"user", joinedPrompt(r)}, {"assistant", joinedResponse(r)}});
    case TemplateKind::Plain:
        return {{joinedPrompt(r) + "\n", false}, {joinedResponse(r), true}};
    }
    return {};
}

std::string renderPrompt(const Record& record, TemplateKind kind)
{
    std::string prompt;
    for (const Segment& s : renderRecord(record, kind)) {
        if (s.loss)
            break;
        prompt += s.text;
    }
    // ChatMl puts "<|im_start|>assistant\n" before the loss segment: included.
    return prompt;
}

std::string templateName(TemplateKind kind)
{
    switch (kind) {
    case TemplateKind::Alpaca:
        return "alpaca";
    case TemplateKind::ChatMl:
        return "chatml";
    case TemplateKind::Plain:
        return "plain";
    }
    return "?";
}

TemplateKind templateFromName(std::string_view name)
{
    for (TemplateKind k : {TemplateKind::Alpaca, TemplateKind::ChatMl, TemplateKind::Plain}) {
        if (templateName(k) == name)
            return k;
    }
    throw Error("template: expected 'alpaca', 'chatml' or 'plain', found '" + std::string(name) + "'");
}

} // namespace tb::data
