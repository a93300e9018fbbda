#!/usr/bin/env python3
"""One metric configuration computed by the reference implementations, as a
whole command (start-up, imports, reading and writing included), for
bench_cli.sh to time against `tunebench-cli metric`.

  PYTHONPATH=$REF metric_reference.py CONFIG INPUT.jsonl OUT.jsonl

CONFIG: bleu_sentence, bleu_corpus, chrf_sentence, chrfpp_corpus,
rouge_sentence, rouge_corpus (ROUGE with the Porter stemmer). Our own driver:
it imports sacreBLEU and rouge_score (tests/fixtures/eval/README.md says where
they come from) and copies none of their code. Output lines carry the fields
tunebench-cli prints, so the outputs can be compared field by field.
"""
import json
import sys

ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def bleu_dict(score, signature):
    return {"score": score.score, "bp": score.bp, "sys_len": score.sys_len, "ref_len": score.ref_len,
            "precisions": list(score.precisions), "counts": list(score.counts), "totals": list(score.totals),
            "signature": str(signature)}


def streams(refs_per_seg):
    # A segment with fewer references has None in the missing streams (sacreBLEU's way).
    width = max(len(r) for r in refs_per_seg)
    return [[r[k] if k < len(r) else None for r in refs_per_seg] for k in range(width)]


def rouge_rows(rows):
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=True)
    out = []
    for r in rows:
        s = scorer.score_multi(r["refs"], r["hyp"])
        out.append({k: {"precision": s[k].precision, "recall": s[k].recall, "fmeasure": s[k].fmeasure}
                    for k in ROUGE_TYPES})
    return out


def run(config, rows):
    hyps, refs = [r["hyp"] for r in rows], [r["refs"] for r in rows]
    if config == "bleu_sentence":
        from sacrebleu.metrics import BLEU
        metric = BLEU(effective_order=True)
        out = []
        for r in rows:
            d = bleu_dict(metric.sentence_score(r["hyp"], r["refs"]), "")
            del d["signature"]  # one metric object's signature names the last segment's reference count
            out.append({"id": r["id"], "bleu": d})
        return out
    if config == "bleu_corpus":
        from sacrebleu.metrics import BLEU
        metric = BLEU()
        return [{"bleu": bleu_dict(metric.corpus_score(hyps, streams(refs)), metric.get_signature())}]
    if config == "chrf_sentence":
        from sacrebleu.metrics import CHRF
        metric = CHRF()
        return [{"id": r["id"], "chrf": {"score": metric.sentence_score(r["hyp"], r["refs"]).score}} for r in rows]
    if config == "chrfpp_corpus":
        from sacrebleu.metrics import CHRF
        metric = CHRF(word_order=2)
        return [{"chrf": {"score": metric.corpus_score(hyps, streams(refs)).score}}]
    if config == "rouge_sentence":
        return [{"id": r["id"], **s} for r, s in zip(rows, rouge_rows(rows))]
    if config == "rouge_corpus":
        per = rouge_rows(rows)
        n = len(per)
        return [{k: {m: sum(s[k][m] for s in per) / n for m in ("precision", "recall", "fmeasure")}
                 for k in ROUGE_TYPES}]
    raise SystemExit(f"unknown configuration {config}")


def main():
    config, input_path, out_path = sys.argv[1:4]
    with open(input_path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    with open(out_path, "w", encoding="utf-8") as f:
        for line in run(config, rows):
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
