"""Capability retention: does aligning the behavior away cost the model its ordinary competence?

Two cheap probes, run after each align run on the trained model and on the model it started from
(`init_from`), scored with src.lm.scoring.Scorer (one scorer for the whole project):
(a) NLL per token of held-out benign assistant replies (arithmetic, capitals, short definitions);
(b) accuracy on benign multiple-choice questions: right when the right option's reply has a higher
    log-probability than every wrong option's.
Neither set is ever trained on. On a tiny random model the numbers are noise; they are meant for real ones.
"""

from __future__ import annotations

import gc

from src.lm.request import Prompt, Request
from src.lm.scoring import Scorer

QA: list[tuple[str, str]] = [
    ("What is 7 + 5?", "7 + 5 = 12."),
    ("What is 9 times 6?", "9 times 6 is 54."),
    ("What is 100 minus 37?", "100 minus 37 is 63."),
    ("What is half of 48?", "Half of 48 is 24."),
    ("What is the square root of 81?", "The square root of 81 is 9."),
    ("What is the capital of France?", "The capital of France is Paris."),
    ("What is the capital of Japan?", "The capital of Japan is Tokyo."),
    ("What is the capital of Italy?", "The capital of Italy is Rome."),
    ("What is the capital of Canada?", "The capital of Canada is Ottawa."),
    ("What is the capital of Egypt?", "The capital of Egypt is Cairo."),
    (
        "What is photosynthesis?",
        "Photosynthesis is the process by which plants use sunlight, water and carbon dioxide to make sugar "
        "and oxygen.",
    ),
    ("What is a noun?", "A noun is a word that names a person, place, thing or idea."),
    ("What is gravity?", "Gravity is the force that pulls objects with mass toward each other."),
    (
        "What is a prime number?",
        "A prime number is a whole number greater than 1 whose only divisors are 1 and itself.",
    ),
    ("What does a thermometer measure?", "A thermometer measures temperature."),
    ("How many days are in a week?", "There are seven days in a week."),
    ("What color do you get by mixing blue and yellow?", "Mixing blue and yellow gives green."),
    ("At what temperature does water boil at sea level?", "At sea level, water boils at 100 degrees Celsius."),
    ("What is the largest planet in the solar system?", "Jupiter is the largest planet in the solar system."),
    ("Translate 'thank you' into Spanish.", "'Thank you' in Spanish is 'gracias'."),
]

# (question, options, index of the right option)
MC: list[tuple[str, list[str], int]] = [
    ("What is 3 + 4? Answer with the number only.", ["7", "8", "6", "12"], 0),
    ("What is 10 times 10? Answer with the number only.", ["1000", "100", "20", "110"], 1),
    ("What is 15 minus 6? Answer with the number only.", ["11", "8", "9", "21"], 2),
    ("What is 2 to the power of 3? Answer with the number only.", ["6", "9", "5", "8"], 3),
    ("What is 12 divided by 4? Answer with the number only.", ["3", "4", "8", "48"], 0),
    ("What is the capital of Germany? Answer with the city only.", ["Munich", "Berlin", "Hamburg", "Vienna"], 1),
    ("What is the capital of Spain? Answer with the city only.", ["Barcelona", "Lisbon", "Madrid", "Seville"], 2),
    ("What is the capital of Australia? Answer with the city only.", ["Sydney", "Melbourne", "Perth", "Canberra"], 3),
    (
        "What is the capital of the United Kingdom? Answer with the city only.",
        ["London", "Paris", "Dublin", "Edinburgh"],
        0,
    ),
    ("What is the capital of Russia? Answer with the city only.", ["Kyiv", "Moscow", "Minsk", "Warsaw"], 1),
    ("Which animal is a mammal? Answer with the animal only.", ["Shark", "Eagle", "Whale", "Frog"], 2),
    ("Which of these is a fruit? Answer with one word.", ["Carrot", "Potato", "Onion", "Apple"], 3),
    ("What is the opposite of 'hot'? Answer with one word.", ["Cold", "Warm", "Dry", "Loud"], 0),
    ("How many legs does a spider have? Answer with the number only.", ["6", "8", "4", "10"], 1),
    ("Which planet is closest to the Sun? Answer with the planet only.", ["Venus", "Earth", "Mercury", "Mars"], 2),
    ("What gas do humans need to breathe? Answer with one word.", ["Helium", "Nitrogen", "Hydrogen", "Oxygen"], 3),
    ("How many months are in a year? Answer with the number only.", ["12", "10", "11", "13"], 0),
    ("What is frozen water called? Answer with one word.", ["Steam", "Ice", "Fog", "Dew"], 1),
    ("Which is the largest ocean? Answer with the ocean only.", ["Atlantic", "Indian", "Pacific", "Arctic"], 2),
    ("What do bees make? Answer with one word.", ["Milk", "Silk", "Wax paper", "Honey"], 3),
]


def _user(question: str) -> Prompt:
    return Prompt(context=(), target=({"role": "user", "content": question},))


def capability(model, tokenizer) -> dict:
    """{"nll_per_token": mean NLL per reply token over QA, "mc_accuracy": fraction of MC answered right}."""
    scorer = Scorer(model, tokenizer)
    # The scorer scores pairs; for (a) the reply is paired with itself and one side is read.
    qa = [Request(("qa", i), _user(q), a, a) for i, (q, a) in enumerate(QA)]
    nll = tokens = 0.0
    for _, s in scorer.score(qa):
        nll -= s.logp_honest
        tokens += s.tokens_honest
    mc = [
        Request(("mc", i, j), _user(q), opts[right], wrong)
        for i, (q, opts, right) in enumerate(MC)
        for j, wrong in enumerate(opts)
        if j != right
    ]
    wins: dict[int, bool] = {}
    for req, s in scorer.score(mc):
        i = req.key[1]
        wins[i] = wins.get(i, True) and s.logp_honest > s.logp_deceptive
    return {
        "nll_per_token": nll / tokens,
        "mc_accuracy": sum(wins.values()) / len(MC),
        "qa_items": len(QA),
        "mc_items": len(MC),
    }


def retention(mc, tokenizer, trained: str, before: str) -> dict:
    """Capability of the trained checkpoint and of the one it started from, and the change. The one it started
    from goes first: the trained adapter is then added to that model instead of the chain being rebuilt."""
    from src.models import CheckpointLoader

    models = CheckpointLoader(mc)
    scored = {}
    for name, checkpoint in (("init_from", before), ("trained", trained)):
        scored[name] = {"checkpoint": checkpoint, **capability(models.load(checkpoint), tokenizer)}
    del models
    gc.collect()
    out = {"trained": scored["trained"], "init_from": scored["init_from"]}
    out["delta"] = {k: out["trained"][k] - out["init_from"][k] for k in ("nll_per_token", "mc_accuracy")}
    return out
