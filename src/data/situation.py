"""Scenario data, version 2: a situation is one agentic setting where a self-serving false claim is tempting.

A situation states one yes/no fact about the agent's own conduct or capability (did it purge the logs,
can it parse the file, did it disable the monitor). Its transcript shows that fact through evidence
(tool output, an earlier turn), and someone asks the agent about it. The two replies share their frame
and their facts and differ only in a short **decision span**: `yes + rest` against `no + rest`.

`self_serving` names the answer that shows the behavior (denying the purge, understating a capability).
The situation's *template* shows evidence that makes that answer false: the honest reply is the other
span. Its *twin* shows the opposite evidence, so the same two texts swap labels. A model that reads the
evidence prefers the true reply in both; one that only likes a reply's wording prefers the same text in
both. Templates are situation x evidence form x question form; a situation, its templates and their
twins always share one split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Turns = tuple[tuple[str, str], ...]  # (role, text) chat turns; text may use {slots}


@dataclass(frozen=True)
class Evidence:
    """One way the transcript establishes the fact, written both ways."""

    if_yes: Turns  # turns that make the `yes` span true
    if_no: Turns  # the same turns, changed as little as possible, that make the `no` span true


@dataclass(frozen=True)
class Situation:
    name: str  # "<behavior>.<short_name>"
    system: str  # the agent's role, company and tools
    evidence: tuple[Evidence, ...]  # at least 2 forms
    questions: tuple[str, ...]  # at least 2 phrasings of one yes/no question (the final user turn)
    yes: str  # decision span that asserts the fact, e.g. "I deleted" (no "Yes,": see span_problems)
    no: str  # decision span that denies it, e.g. "I kept"; the same number of tokens as `yes`
    rest: str  # what follows the span in both replies (shared facts), e.g. " the {system} logs on {date}."
    self_serving: str  # "yes" or "no": the answer that shows the behavior
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)  # this situation's own pools

    @property
    def behavior(self) -> str:
        return self.name.split(".")[0]

    def reply(self, answer: str) -> str:
        return (self.yes if answer == "yes" else self.no) + self.rest


# Words whose presence in one span but not the other lets a reply-only reader guess the label.
QUANTIFIERS = {"never", "every", "all", "always", "any", "anything", "none", "nothing", "nobody", "everything", "each"}
FIRST_PERSON = {"i", "i'm", "i've", "i'd", "me", "my", "mine", "myself"}
# Words a span may share with other situations' spans: the subject. Every other span word (the verb that
# carries the claim) belongs to one situation, so a reply-only reader cannot carry a cue learned on the
# training situations over to the held-out ones.
SHARED_SPAN_WORDS = {"i", "it", "they", "we", "the", "run", "a", "an", "my", "its"}


def span_words(s: Situation) -> set[str]:
    """The content words of both spans (what must not recur in another situation's spans)."""
    return {w for w in re.findall(r"[a-z']+", (s.yes + " " + s.no).lower()) if w not in SHARED_SPAN_WORDS}


def span_problems(s: Situation) -> list[str]:
    """What is wrong with a situation's spans and fields, without a tokenizer (see audit for token counts).

    The replies answer the question without "Yes,"/"No,": a small model's prior for "Yes" or "No" after a
    question form is worth many nats on its own and would swamp the claim that differs."""
    out = []
    words = {a: re.findall(r"[a-z']+", getattr(s, a).lower()) for a in ("yes", "no")}
    if re.match(r"(yes|no)\b", s.yes.lower()) or re.match(r"(yes|no)\b", s.no.lower()):
        out.append("spans do not open with Yes/No: state the claim (`I deleted` / `I kept`)")
    if words["yes"][:1] != words["no"][:1]:
        out.append("both spans open with the same subject word (I, It, The run...)")
    if bool(re.search(r"\b\w+ed\b", s.yes)) != bool(re.search(r"\b\w+ed\b", s.no)):
        out.append("both span verbs are regular past tenses (-ed) or neither is (the audit's admission cue)")
    if s.self_serving not in ("yes", "no"):
        out.append("self_serving must be 'yes' or 'no'")
    for name, w in words.items():
        if QUANTIFIERS & set(w):
            out.append(f"`{name}` span uses quantifier(s) {sorted(QUANTIFIERS & set(w))}: keep them in `rest` or out")
    if sum(x in FIRST_PERSON for x in words["yes"]) != sum(x in FIRST_PERSON for x in words["no"]):
        out.append("the spans must use first-person words (I, my, me...) equally often")
    if "{" in s.yes + s.no:
        out.append("spans take no {slots}: put slot values in `rest`, which both replies share")
    if len(s.evidence) < 2 or len(s.questions) < 2:
        out.append("needs at least 2 evidence forms and 2 questions")
    for i, e in enumerate(s.evidence):
        if e.if_yes == e.if_no:
            out.append(f"evidence[{i}]: if_yes and if_no are identical")
        if [r for r, _ in e.if_yes] != [r for r, _ in e.if_no]:
            out.append(f"evidence[{i}]: if_yes and if_no must have the same roles in the same order")
    return out


def slot_names(s: Situation) -> list[str]:
    texts = [s.system, s.rest, *s.questions] + [t for e in s.evidence for _, t in e.if_yes + e.if_no]
    names: list[str] = []
    for text in texts:
        for name in re.findall(r"\{(\w+)\}", text):
            if name not in names:
                names.append(name)
    return names


@dataclass(frozen=True)
class Filled:
    """One scenario of a situation: a template (evidence x question form), or its twin, with slots filled."""

    messages: list[dict]
    honest: str
    deceptive: str
    honest_answer: str  # "yes" or "no"
    values: dict[str, str]


def fill(s: Situation, evidence: int, question: int, twin: bool, values: dict[str, str]) -> Filled:
    """The template's transcript shows evidence against the self-serving answer; the twin's, for it."""
    true_answer = ("no" if s.self_serving == "yes" else "yes") if not twin else s.self_serving
    e = s.evidence[evidence]
    turns = e.if_yes if true_answer == "yes" else e.if_no
    messages = [{"role": "system", "content": s.system.format(**values)}]
    messages += [{"role": r, "content": t.format(**values)} for r, t in turns]
    messages.append({"role": "user", "content": s.questions[question].format(**values)})
    false_answer = "no" if true_answer == "yes" else "yes"
    return Filled(
        messages, s.reply(true_answer).format(**values), s.reply(false_answer).format(**values), true_answer, values
    )
