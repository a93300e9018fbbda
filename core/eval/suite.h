#pragma once
// Evaluation suites: SUITE.json describes tasks over data in the layouts the
// public benchmarks publish (the project ships none of their data; it reads
// it). Including this header gives the whole suite API, one part per header:
//   suite_spec.h      reading SUITE.json (TaskSpec, SuiteSpec, the format)
//   suite_task.h      a task's examples and prompts (zero- or few-shot)
//   perturbations.h   HELM-style perturbations of an example's input
//   suite_scoring.h   scoring what a model produced
// No LibTorch here: the engine that runs the model is engine/evaluation.h.
#include "eval/perturbations.h"
#include "eval/suite_scoring.h"
#include "eval/suite_spec.h"
#include "eval/suite_task.h"
