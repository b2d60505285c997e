"""The reference spinner: makes synthetic spun text for tests and benchmarks.

It imitates the classic thesaurus spinner seen in the real pairs: single words and short phrases are
swapped for synonyms from a *forward* thesaurus (the shipped reverse thesaurus turned around: original
lemma -> spun choices), function words are alternated with the hand-written grammar pairs ("was" ->
"used to be", "did not" -> "didn't"), inflection is kept with lemminflect (`moving` -> `transferring`),
capitalisation is copied, and protected text (quotes, names, numbers, URLs) is never touched.

Example (not a doctest: the output depends on the shipped thesaurus)::

    from unspin.spinner import Spinner
    result = Spinner(seed=7).spin("Officials said the plan would move ahead.", rate=0.5)
    [(s.original, s.replacement) for s in result.substitutions]

Reproducible: the random stream is seeded from (seed, text) only, so one text spins the same whatever
else the same Spinner spun before, and a lower rate replaces a subset of what a higher rate replaces.
"""
from __future__ import annotations

import functools
import hashlib
import random
import re
from dataclasses import dataclass, field

from .lexicon.inflect import getAllInflections, getAllLemmas, getInflection

from .lexicon.frequency import zipf
from .lexicon.grammar import PAIRS
from .lexicon.reverse import MOBY, MYTHES, WORDNET, ReverseThesaurus
from .protect import analyze
from .tokenize import normalize

MAX_THESAURUS_PHRASE = 3  # original phrases looked up in the thesaurus: 1-3 words
MAX_GRAMMAR_PHRASE = 4  # "as a result of"
TOP_CHOICES = 8  # a spinner's synonym list per entry is short; we keep the best-attested choices
MIN_ZIPF = 2.5  # never spin into words a reader would not know
LONGEST_MATCH = 0.75  # chance that the longest phrase starting at a word is the one swapped
GRAMMAR_WEIGHT = 0.35  # function-word swaps are rarer than content swaps in the real pairs
_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CHOICE_RE = re.compile(r"[a-z]+(?: [a-z]+)*")  # no hyphens, digits or apostrophes in thesaurus choices
_PARTICLES = frozenset("up out off in on down over away back about around along through by".split())
_UPOS = {"V": "VERB", "N": "NOUN", "J": "ADJ", "R": "ADV"}

# Number words change facts, not wording ("million" -> "trillion"): a spinner's list leaves them alone.
_NUMBER_WORDS = frozenset("""
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
billion trillion dozen half quarter first second third fourth fifth percent
""".split())

# Loose thesauri (Moby) list slang senses: "cent" -> "shit". No spinner a content farm runs swears.
_VULGAR = frozenset("shit shits shitty crap crappy damn ass arse asshole fuck fucking piss pissed bitch bastard "
                    "dick cock prick screw screwed tit tits whore slut".split())

# Words in spaCy's stop list that are still content words a thesaurus spinner rewrites ("said" ->
# "stated" is the signature swap). The rest of the stop list is left to the grammar pairs.
_CONTENT_STOPWORDS = frozenset("""
say move make show see take give get keep put call go serious part name amount side front top bottom
back full empty however really often perhaps rather quite various whole several mostly indeed
nevertheless therefore together meanwhile become seem former latter made used using seemed seems seeming
became becomes becoming
""".split())


@functools.lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a maintained stop list, no model needed

    return frozenset(w for w in STOP_WORDS if w not in _CONTENT_STOPWORDS) | _NUMBER_WORDS


@dataclass(frozen=True, slots=True)
class Substitution:
    start: int  # character offsets of the replaced words in orig_text
    end: int
    spun_start: int  # and of their replacement in spun_text
    spun_end: int
    original: str
    replacement: str
    source: str  # "thesaurus" or "grammar"

    @property
    def n_words(self) -> int:
        return len(_WORD_RE.findall(normalize(self.original)))


@dataclass(slots=True)
class SpinResult:
    spun_text: str
    orig_text: str
    substitutions: list[Substitution] = field(default_factory=list)
    eligible_words: int = 0  # free words the spinner had a replacement for

    @property
    def replaced_words(self) -> int:
        return sum(s.n_words for s in self.substitutions)

    @property
    def achieved_rate(self) -> float:
        return self.replaced_words / self.eligible_words if self.eligible_words else 0.0


def _popcount(bits: int) -> int:
    return bin(bits & (MYTHES | WORDNET | MOBY)).count("1")


class ForwardThesaurus:
    """original lemma phrase -> weighted spun choices, from the reverse thesaurus turned around."""

    def __init__(self, table: dict[str, list[tuple[str, int]]]):
        self.table = table

    @classmethod
    def from_reverse(cls, reverse: ReverseThesaurus) -> "ForwardThesaurus":
        table: dict[str, list[tuple[str, int]]] = {}
        for spun, originals in reverse.table.items():
            for orig, bits, _n in originals:
                if orig != spun:
                    table.setdefault(orig, []).append((spun, bits))
        return cls(table)

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "ForwardThesaurus":
        return cls.from_reverse(ReverseThesaurus.default())

    def __contains__(self, phrase: str) -> bool:
        return phrase in self.table

    @functools.lru_cache(maxsize=50_000)
    def choices(self, phrase: str) -> tuple[tuple[str, float], ...]:
        """The best-attested choices with weights: choices listed by several thesauri first, then common
        words (a real spinner's list yields "stated", "imaginable", "consistent with")."""
        scored = []
        for spun, bits in self.table.get(phrase, ()):
            if not _CHOICE_RE.fullmatch(spun) or _VULGAR.intersection(spun.split(" ")):
                continue
            common = min(zipf(w) for w in spun.split(" "))
            if common < MIN_ZIPF:
                continue
            scored.append((_popcount(bits), common, spun))
        scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
        return tuple((spun, 4.0 ** pop * 2.0 ** (common - 4.0)) for pop, common, spun in scored[:TOP_CHOICES])


def _grammar_table() -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for a, b in PAIRS:
        if a != b:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return {k: tuple(sorted(v)) for k, v in out.items()}


_GRAMMAR = _grammar_table()


_TAGS = {"VERB": ("VB", "VBP", "VBZ", "VBD", "VBN", "VBG"), "NOUN": ("NN", "NNS"), "ADJ": ("JJ", "JJR", "JJS"),
         "ADV": ("RB", "RBR", "RBS")}


def _form(lemma: str, upos: str, tag: str) -> str | None:
    """The usual `tag` form of a known `lemma`. Verbs and nouns inflect regularly where the dictionary
    is silent (it lists no VBN for "state": "stated"); comparatives come from the dictionary only, as
    the rules for unknown words invent forms like "considerabliest"."""
    known = getAllInflections(lemma, upos)
    if not known:
        return None
    if tag in known:
        return known[tag][0]
    if upos in ("VERB", "NOUN"):
        forms = getInflection(lemma, tag)
        return forms[0] if forms else None
    return None


@functools.lru_cache(maxsize=100_000)
def _tags_of(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, Penn tag) readings of a word, only where the word is the *usual* form for the tag:
    "government" is NN, not also NNS (lemminflect lists it as a rare plural)."""
    out = []
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            for tag in _TAGS.get(upos, ()):
                if _form(lemma, upos, tag) == word:
                    out.append((lemma, tag))
    return tuple(out)


def _head_index(phrase_words: list[str], upos: str) -> int:
    return 0 if upos == "VERB" else len(phrase_words) - 1


@functools.lru_cache(maxsize=200_000)
def _inflect_choice(choice: str, tag: str | None) -> str | None:
    """Inflect `choice` (a lemma phrase) like the original's Penn `tag`; None when its head word cannot
    take that part of speech (a noun cannot stand in for `moved`)."""
    if tag is None:
        return choice
    upos = _UPOS.get(tag[0])
    if upos is None:
        return choice
    words = choice.split(" ")
    h = _head_index(words, upos)
    if len(words) > 1 and upos != "VERB" and words[h] in _PARTICLES:
        return None  # a phrasal verb ("string up") cannot stand in for a noun ("strings")
    form = _form(words[h], upos, tag)
    if form is None:
        return None
    words[h] = form
    return " ".join(words)


def _match_case(replacement: str, original: str) -> str:
    replacement = re.sub(r"\bi\b", "I", replacement)  # "I'm" -> "i am" must still say "I"
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


@dataclass(slots=True)
class _Option:
    i: int  # token range [i, j)
    j: int
    choices: list[tuple[str, float]]  # lower-case surface replacement, weight
    source: str


class Spinner:
    """A seeded thesaurus spinner. `lexicon`: a ReverseThesaurus (or a Lexicon, whose thesaurus is used,
    or a ForwardThesaurus); default: the shipped reverse thesaurus."""

    def __init__(self, seed: int = 7, lexicon=None, grammar: bool = True):
        self.seed = seed
        if lexicon is None:
            self.forward = ForwardThesaurus.default()
        elif isinstance(lexicon, ForwardThesaurus):
            self.forward = lexicon
        else:
            self.forward = ForwardThesaurus.from_reverse(getattr(lexicon, "thesaurus", lexicon))
        self.grammar = _GRAMMAR if grammar else {}
        self._word_cache: dict[str, list[tuple[str, float]]] = {}

    # -- candidates ------------------------------------------------------------------------------
    def _readings(self, words: list[str]) -> list[tuple[str, str | None]]:
        """(lemma phrase, Penn tag of the head or None) under which the phrase may be looked up."""
        phrase = " ".join(words)
        out: list[tuple[str, str | None]] = []
        if phrase in self.forward:
            out.append((phrase, None))
        for head in sorted({0, len(words) - 1}):
            for lemma, tag in _tags_of(words[head]):
                if len(words) > 1 and (head != _head_index(words, _UPOS.get(tag[0], "NOUN")) or lemma == words[head]):
                    continue  # a phrase is tagged only through an inflected head ("news agencies")
                key = " ".join(words[:head] + [lemma] + words[head + 1 :])
                if key in self.forward:
                    out.append((key, tag))
        return out

    def _thesaurus_choices(self, words: list[str]) -> list[tuple[str, float]]:
        key = " ".join(words)
        hit = self._word_cache.get(key)
        if hit is not None:
            return hit
        best: dict[str, float] = {}
        readings = self._readings(words)
        # Group the readings by lemma and part of speech: "identified" is VBD and VBN of "identify", and a
        # choice is kept only when it inflects the same under every reading of the group ("named", never
        # "saw"/"seen"), since the spinner does not know which one the sentence uses.
        groups: dict[tuple[str, str], list[str]] = {}
        for lemma, tag in readings:
            if tag is not None:
                groups.setdefault((lemma, tag[0]), []).append(tag)
        tagged = [(lemma, tags) for (lemma, _), tags in groups.items()]
        untagged = [(lemma, [None]) for lemma, tag in readings if tag is None]
        # when lemminflect knows the word, respect its parts of speech; the entry as written is the
        # fallback (phrases with an uninflected head, "according to"; words lemminflect does not know)
        for plans in (tagged, untagged):
            for lemma, tags in plans:
                for choice, weight in self.forward.choices(lemma):
                    forms = {_inflect_choice(choice, tag) for tag in tags}
                    surface = forms.pop() if len(forms) == 1 else None
                    if surface and surface != key and not self._echoes(surface, words):
                        best[surface] = max(best.get(surface, 0.0), weight)
            if best:
                break
        out = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(self._word_cache) < 100_000:
            self._word_cache[key] = out
        return out

    @staticmethod
    def _echoes(surface: str, words: list[str]) -> bool:
        """A choice that repeats an original word ("car" -> "cable car") is a weak, easily undone swap."""
        return bool(set(surface.split(" ")) & set(words))

    def _options(self, doc) -> list[_Option]:
        toks = doc.tokens
        text = doc.text
        function_words = _function_words()

        def free(k: int) -> bool:
            t = toks[k]
            w = normalize(t.text)
            if not t.is_word or t.protected is not None or not _WORD_RE.fullmatch(w):
                return False
            if t.text[0].isupper() and not getAllLemmas(w) and w not in self.grammar and w not in function_words:
                return False  # a capitalised word no dictionary knows is a name ("Ireland"), whatever its place
            # skip parts of hyphenated or slashed compounds ("well-known", "and/or")
            before = toks[k - 1] if k > 0 else None
            after = toks[k + 1] if k + 1 < len(toks) else None
            glued = lambda o: o is not None and not o.is_word and o.text in "-/–—" and (o.end == t.start or o.start == t.end)
            return not (glued(before) or glued(after))

        ok = [free(k) for k in range(len(toks))]
        words = [normalize(t.text) for t in toks]
        options: list[_Option] = []
        for i in range(len(toks)):
            if not ok[i]:
                continue
            for n in range(MAX_GRAMMAR_PHRASE, 0, -1):
                j = i + n
                if j > len(toks) or not all(ok[i:j]):
                    continue
                if any(text[toks[k].end : toks[k + 1].start] != " " for k in range(i, j - 1)):
                    continue  # a phrase is words separated by single spaces, nothing else
                ws = words[i:j]
                phrase = " ".join(ws)
                if phrase in self.grammar:
                    options.append(_Option(i, j, [(c, 1.0) for c in self.grammar[phrase]], "grammar"))
                if n > MAX_THESAURUS_PHRASE or (n == 1 and (ws[0] in function_words or len(ws[0]) < 3)):
                    continue  # function words go by the grammar pairs; "U" of "U.S.", "Al", "p" not at all
                if n > 1 and all(w in function_words for w in ws):
                    continue  # "in the", "of all": not phrases a thesaurus spinner keys on
                choices = self._thesaurus_choices(ws)
                if choices:
                    options.append(_Option(i, j, choices, "thesaurus"))
        return options

    # -- spinning --------------------------------------------------------------------------------
    def _rng(self, text: str) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}\x00{text}".encode("utf-8")).digest()
        return random.Random(int.from_bytes(digest[:16], "big"))

    def spin(self, text: str, rate: float = 0.3) -> SpinResult:
        """Replace about `rate` of the eligible words (free words the spinner has a synonym for).

        Replacements never touch each other (two adjacent swaps would read as one longer rewrite), so
        rates above ~0.5 are capped by the text itself."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        doc = analyze(text)
        options = self._options(doc)
        eligible = {k for o in options for k in range(o.i, o.j)}
        target = round(rate * len(eligible))
        rng = self._rng(text)
        # Draw every random number up front, in token order, so the stream does not depend on the rate:
        # a lower rate then replaces a prefix of the same priority order.
        by_start: dict[int, list[_Option]] = {}
        for o in options:
            by_start.setdefault(o.i, []).append(o)
        plans = []
        for i in sorted(by_start):
            opts = by_start[i]
            weight = 1.0 if any(o.source == "thesaurus" for o in opts) else GRAMMAR_WEIGHT
            key = rng.random() ** (1.0 / weight)  # weighted order without replacement (Efraimidis-Spirakis)
            # longest match first, as phrase-list spinners do, but not always
            longest = max(opts, key=lambda o: (o.j - o.i, o.source == "thesaurus"))
            pick = rng.random()
            option = longest if pick < LONGEST_MATCH or len(opts) == 1 else opts[int(pick * 1e6) % len(opts)]
            choice = rng.choices([c for c, _ in option.choices], weights=[w for _, w in option.choices])[0]
            plans.append((key, option, choice))
        plans.sort(key=lambda p: -p[0])

        used: set[int] = set()
        chosen: list[tuple[_Option, str]] = []
        replaced = 0
        for _key, option, choice in plans:
            if replaced >= target:
                break
            if any(k in used for k in range(option.i - 1, option.j + 1)):
                continue
            chosen.append((option, choice))
            used.update(range(option.i, option.j))
            replaced += option.j - option.i
        return self._apply(doc, chosen, len(eligible))

    def _apply(self, doc, chosen: list[tuple[_Option, str]], n_eligible: int) -> SpinResult:
        text, toks = doc.text, doc.tokens
        curly = text.count("’") > text.count("'")
        pieces: list[str] = []
        subs: list[Substitution] = []
        pos = out_len = 0
        for option, choice in sorted(chosen, key=lambda c: c[0].i):
            start, end = toks[option.i].start, toks[option.j - 1].end
            original = text[start:end]
            replacement = _match_case(choice, original)
            if "’" in original or (curly and "'" not in original):
                replacement = replacement.replace("'", "’")
            pieces.append(text[pos:start])
            out_len += start - pos
            pieces.append(replacement)
            subs.append(Substitution(start, end, out_len, out_len + len(replacement), original, replacement, option.source))
            out_len += len(replacement)
            pos = end
        pieces.append(text[pos:])
        return SpinResult("".join(pieces), text, subs, n_eligible)
