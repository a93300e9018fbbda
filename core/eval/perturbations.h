#pragma once
// HELM-style robustness checks: deterministic perturbations of an example's
// input text, applied inside its prompt.
#include <cstdint>
#include <string>

#include "eval/suite_task.h"

namespace tb::eval {

// A deterministic perturbation of a prompt's input text, HELM-style:
// "lowercase", "whitespace" (collapse/extend spaces), "typos" (swap adjacent
// letters in about one word in ten, seeded), "contractions" (do not -> don't
// and so on). Throws tb::Error for an unknown name.
std::string perturb(const std::string& text, const std::string& perturbation, uint64_t seed);
// The example with its input perturbed in the prompt and the options kept.
EvalExample perturbExample(const EvalExample& example, const std::string& perturbation, uint64_t seed);

} // namespace tb::eval
