"""Header text -> data element, with a status saying whether a person must confirm.

For each column: read the leaf header (exact spelling, spelling minus a generic suffix,
qualifier + core, fuzzy), let the group path name whose field it is, let the sheet's
subject decide what an unqualified core means, and let sample values vote. Precision
comes first: `auto` is given only to exact spellings that the context confirms, because a
wrong auto mapping puts a wrong number in a government report.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from ..sheets.formats import asks_yes_no
from .context import (
    CONCEPTS,
    COUNT_UNITS,
    ELEMENT_CAPS,
    ELEMENT_ON_SUBJECT,
    HEADER_SIGNALS,
    HOUSEHOLD_KEYS,
    PERSON_KEYS,
    ROLE_TARGETS,
    SELF_ROLE_PATTERNS,
    TITLE_SIGNALS,
    TRANSFERS,
    role_of,
)
from .dictionary import Dictionary, load_builtin_dictionary
from .normalise import bracket_notes, field_name, normalise
from .sniff import AGREES, KIND_GUESS, TELLING, dominant_kind

AUTO_MIN = 0.9
SUGGEST_MIN = 0.5
STATUS_RANK = {"unmapped": 0, "suggested": 1, "auto": 2}
# Trailing words that add nothing to what a header names: 社区标识, 地址名称, 登记单位名称.
GENERIC_SUFFIXES = ("名称", "名字", "标识", "信息", "情况", "全称")
# Group-header words around a role: 户主信息, 监护人情况, 房主基本情况.
GROUP_SUFFIXES = ("基本情况", "基本信息", "信息", "情况", "资料", "相关")
ROLE_STATUS = {"self": "auto", "modifier": "suggested"}
_SELF_ROLE_CONF = 0.9


@dataclass(frozen=True)
class LearnedAlias:
    """A confirmed mapping: this normalised wording means `code` on sheets about `subject`.

    `code` None records a confirmed "maps to nothing"; `subject` "" applies to any sheet.
    """

    text: str
    code: str | None
    subject: str = ""


def learn_alias(header: str, code: str | None, subject: str = "") -> LearnedAlias:
    """Turn a person's confirmation of a column into a record the matcher accepts next time."""
    return LearnedAlias(text=normalise(header), code=code or None, subject=subject)


@dataclass(frozen=True)
class Reading:
    """What a header's words say, before the sheet's subject is applied."""

    code: str | None
    strength: str  # auto | suggested | unmapped
    confidence: float
    reason: str
    role: str = "self"
    qualifier: str = ""


@dataclass
class ColumnMatch:
    element: str | None
    confidence: float
    status: str
    reason: str = ""
    # How the column's value comes from the element: "present" for a yes/no question
    # answered by an element that is not yes/no (是否患慢性病 from 慢性病情况: yes when a
    # value is there and does not say none), so it is never delivered as the element's text.
    derive: str | None = None


@dataclass
class SheetMatch:
    subject: str
    subject_confident: bool
    columns: list[ColumnMatch] = field(default_factory=list)


NOTHING = Reading(None, "unmapped", 0.0, "no spelling matches")


class Matcher:
    """Holds the dictionary and learned aliases; build once, match many sheets."""

    def __init__(self, dictionary: Dictionary | None = None, learned: Iterable[LearnedAlias] = ()) -> None:
        self.d = dictionary or load_builtin_dictionary()
        self.learned: dict[tuple[str, str], str | None] = {}
        for la in learned:
            self.learned[(la.text, la.subject)] = la.code
        self._cores = sorted((s for s in self.d.strong if len(s) >= 2), key=len, reverse=True)
        self._cache: dict[str, Reading] = {}

    # --- reading words -------------------------------------------------------------
    def read(self, text: str) -> Reading:
        """Read one normalised header on its own (cached: the same words recur a lot)."""
        if text not in self._cache:
            self._cache[text] = self._read(text)
        return self._cache[text]

    def _read(self, n: str) -> Reading:
        if not n:
            return NOTHING
        exact = self._exact(n)
        if exact:
            return exact
        for suffix in GENERIC_SUFFIXES:
            if n.endswith(suffix) and len(n) > len(suffix):
                inner = self._exact(n[: -len(suffix)]) or self._qualified(n[: -len(suffix)])
                if inner:
                    return Reading(inner.code, inner.strength, inner.confidence - 0.04,
                                   f"{inner.reason}, minus {suffix}", inner.role)
        qualified = self._qualified(n)
        if qualified:
            return qualified
        if any(p.match(n) for p in SELF_ROLE_PATTERNS):
            return Reading("person.name", "auto", _SELF_ROLE_CONF, "names the row's subject")
        return self._fuzzy(n)

    def _exact(self, n: str) -> Reading | None:
        if n in self.d.strong:
            codes = sorted(self.d.strong[n])
            return Reading("|".join(codes), "auto", 0.98, "spelling")
        if n in self.d.weak:
            return Reading("|".join(sorted(self.d.weak[n])), "suggested", 0.75, "loose spelling")
        return None

    def _qualified(self, n: str) -> Reading | None:
        """[qualifier] + core: 户主身份证号, 房主联系电话, 志愿者姓名, 被盘查人身份证号."""
        for core in self._cores:
            if len(core) < len(n) and n.endswith(core):
                qualifier = n[: -len(core)]
                role = role_of(qualifier)
                codes = sorted(self.d.strong[core])
                r = self._apply_role(role, codes, f"{qualifier} + {core}")
                return Reading(r.code, r.strength, r.confidence, r.reason, r.role, qualifier)
        return None

    def _apply_role(self, role: str, codes: list[str], why: str) -> Reading:
        if role in ROLE_STATUS:
            person = [c for c in codes if c.startswith(("person.", "@"))]
            if role == "self" and person:
                return Reading("|".join(person), "auto", 0.93, why, role)
            return Reading("|".join(codes), "suggested", 0.7, why, "modifier")
        targets = sorted({ROLE_TARGETS[(role, c)] for c in codes if (role, c) in ROLE_TARGETS})
        if targets:
            return Reading("|".join(targets), "auto", 0.93, f"{why} ({role})", role)
        return Reading(None, "unmapped", 0.9, f"{why}: another party's field ({role})", role)

    def _fuzzy(self, n: str) -> Reading:
        """Typos: one changed character in a longer spelling, or a very close string."""
        if len(n) < 3:
            return NOTHING
        hit = process.extractOne(n, self.d.spellings, scorer=fuzz.ratio, score_cutoff=75)
        if not hit:
            return NOTHING
        spelling, score, _ = hit
        one_typo = Levenshtein.distance(n, spelling) == 1 and len(spelling) >= 4 and len(n) == len(spelling)
        if not one_typo and score < 88:
            return NOTHING
        codes = sorted(self.d.strong[spelling])
        return Reading("|".join(codes), "suggested", round(0.5 + score / 400, 3), f"close to {spelling} ({score:.0f})")

    # --- context -----------------------------------------------------------------
    def group_role(self, path: Sequence[str]) -> str | None:
        """A group header naming a party (户主信息, 监护人情况) makes its columns that party's."""
        for group in path[:-1]:
            g = normalise(group)
            for suffix in GROUP_SUFFIXES:
                if g.endswith(suffix) and len(g) > len(suffix):
                    g = g[: -len(suffix)]
                    break
            if not g or g in ("其他", "其它"):
                continue
            role = role_of(g)
            if role not in ("self", "modifier"):
                return role
        return None

    def detect_subject(self, texts: list[str], readings: list[Reading], title: str) -> tuple[str, bool]:
        """What one row is about, from unqualified person keys, header words and the title."""
        scores: dict[str, float] = defaultdict(float)
        persons = {r.code for r in readings if r.code in PERSON_KEYS and r.role == "self"}
        scores["person"] += 3 * min(len(persons), 2)
        scores["household"] += sum(1 for r in readings if r.code in HOUSEHOLD_KEYS) * 0.5
        for n in texts:
            for pattern, subject, weight in HEADER_SIGNALS:
                if re.search(pattern, n):
                    scores[subject] += weight
        t = normalise(title)
        for pattern, subject, weight in TITLE_SIGNALS:
            if t and re.search(pattern, t):
                scores[subject] += weight
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < 2:
            return "unknown", False
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return ranked[0][0], ranked[0][1] - second >= 2

    def place(self, reading: Reading, subject: str, confident: bool) -> ColumnMatch:
        """Apply the sheet's subject: pick among codes, resolve concepts, transfer, gate."""
        if not reading.code:
            return ColumnMatch(None, reading.confidence if reading.strength == "unmapped" and reading.confidence else 0.0,
                               "unmapped", reading.reason)
        codes = reading.code.split("|")
        code = self._prefer(codes, subject)
        strength, conf = reading.strength, reading.confidence
        if code.startswith("@"):
            target = CONCEPTS.get(code, {}).get(subject)
            if not target:
                return ColumnMatch(None, 0.0, "unmapped", f"{reading.reason}; no {code} on a {subject} sheet")
            code, cap = target
            strength = _weaker(strength, cap)
        else:
            el_subject = self.d.elements[code].subject
            if (code, subject) in TRANSFERS and el_subject != subject:
                code, cap = TRANSFERS[(code, subject)]
            else:
                cap = ELEMENT_ON_SUBJECT.get((el_subject, subject), "unmapped")
            strength = _weaker(strength, cap)
        if len(codes) > 1 and code not in codes[:1] and not any(self.d.elements.get(c, None) and
                                                                  self.d.elements[c].subject == subject for c in codes):
            strength = _weaker(strength, "suggested")
        if not confident and not code.startswith(("meta.", "org.")):
            strength = _weaker(strength, "suggested")
        strength = _weaker(strength, ELEMENT_CAPS.get(code, "auto"))
        if strength == "unmapped":
            return ColumnMatch(None, 0.0, "unmapped", f"{reading.reason}; {code} is not about a {subject} row")
        return ColumnMatch(code, conf, strength, reading.reason)

    def _prefer(self, codes: list[str], subject: str) -> str:
        for c in codes:
            el = self.d.elements.get(c)
            if el and el.subject == subject:
                return c
        return codes[0]

    # --- a sheet -----------------------------------------------------------------
    def match_sheet(self, paths: Sequence[Sequence[str]], title: str = "",
                    samples: Sequence[Sequence[str]] | None = None, layout: str = "list") -> SheetMatch:
        """Match every column of one sheet. `paths[i]` is column i's header path, leaf last.

        On an aggregate (statistical) sheet a row is an org unit or category, so only
        org and meta elements can be auto; a person attribute there is a count of people.
        """
        texts = [normalise(field_name(p[-1])) if p else "" for p in paths]
        t = normalise(title)
        readings = []
        for path, n in zip(paths, texts, strict=True):
            r = self.read(n)
            if r.role == "other" and len(r.qualifier) >= 2 and r.qualifier in t:
                # 老人姓名 on 空巢老人登记表: the title names the qualifier as the row's subject
                core = n[len(r.qualifier):]
                codes = sorted(self.d.strong.get(core, ()))
                if codes:
                    r = self._apply_role("self", codes, f"{r.qualifier} + {core}, the title's subject")
            role = self.group_role(path) if path else None
            if role and r.code and r.role == "self":
                r = self._apply_role(role, r.code.split("|"), f"{r.reason} under {path[0]}")
            readings.append(r)
        subject, confident = self.detect_subject(texts, readings, title)
        if layout == "aggregate":
            subject, confident = "aggregate", True
        out = SheetMatch(subject, confident)
        for i, (n, r) in enumerate(zip(texts, readings, strict=True)):
            learned = self._learned(n, subject)
            if learned is not None:
                out.columns.append(learned)
                continue
            m = self.place(r, subject, confident)
            leaf = paths[i][-1] if paths[i] else ""
            if m.element and COUNT_UNITS & set(bracket_notes(leaf)) and \
                    self.d.elements[m.element].value_type != "integer":
                m = ColumnMatch(m.element, min(m.confidence, 0.6), _weaker(m.status, "suggested"),
                                f"{m.reason}; a count by its unit")
            if samples is not None and i < len(samples):
                m = self._vote(m, list(samples[i]), subject)
            out.columns.append(_status(m))
        _one_auto_per_element(out.columns, texts)
        for path, m in zip(paths, out.columns, strict=True):
            if m.element and path and asks_yes_no(path[-1]) and \
                    self.d.elements.get(m.element, None) and self.d.elements[m.element].value_type != "boolean":
                m.derive = "present"
        return out

    def _learned(self, n: str, subject: str) -> ColumnMatch | None:
        for key in ((n, subject), (n, "")):
            if key in self.learned:
                code = self.learned[key]
                return ColumnMatch(code, 0.97, "auto" if code else "unmapped", "learned")
        return None

    def _vote(self, m: ColumnMatch, samples: list[str], subject: str) -> ColumnMatch:
        """Sample values confirm a match, veto it, or suggest one for an unmatched column."""
        kind = dominant_kind(samples)
        if kind is None:
            return m
        if m.element is None:
            guess = KIND_GUESS.get(kind)
            if guess and m.confidence < 0.9 and subject in ("person", "unknown"):
                return ColumnMatch(guess, 0.6, "suggested", f"values look like {kind}")
            return m
        value_type = self.d.elements[m.element].value_type
        agrees = AGREES.get(value_type)
        if agrees is not None and kind in agrees:
            return ColumnMatch(m.element, min(1.0, m.confidence + 0.02), m.status, f"{m.reason}; values agree")
        if (agrees is not None and kind not in agrees and kind in TELLING | {"text"}) or (
            agrees is None and kind in TELLING
        ):
            return ColumnMatch(m.element, min(m.confidence, 0.6), _weaker(m.status, "suggested"),
                               f"{m.reason}; values look like {kind}")
        return m


def _weaker(a: str, b: str) -> str:
    return a if STATUS_RANK[a] <= STATUS_RANK[b] else b


def _status(m: ColumnMatch) -> ColumnMatch:
    """Thresholds turn a strength into the status callers act on."""
    if m.element is None:
        return ColumnMatch(None, 0.0, "unmapped", m.reason)
    status = m.status
    if status == "auto" and m.confidence < AUTO_MIN:
        status = "suggested"
    if m.confidence < SUGGEST_MIN:
        status = "unmapped"
    if status == "suggested":
        m = ColumnMatch(m.element, min(m.confidence, AUTO_MIN - 0.01), status, m.reason)
    return ColumnMatch(m.element if status != "unmapped" else None, round(m.confidence, 3), status, m.reason)


def _one_auto_per_element(columns: list[ColumnMatch], texts: list[str]) -> None:
    """Two differently worded columns auto-mapped to one element: only the surest stays auto."""
    by_element: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(columns):
        if m.status == "auto" and m.element and m.element != "meta.seq":
            by_element[m.element].append(i)
    for idxs in by_element.values():
        best = max(idxs, key=lambda i: (columns[i].confidence, -i))
        for i in idxs:
            if texts[i] != texts[best]:
                m = columns[i]
                columns[i] = ColumnMatch(m.element, min(m.confidence, AUTO_MIN - 0.01), "suggested",
                                         f"{m.reason}; {texts[best]} already holds it")


def match_headers(headers: Sequence[str | Sequence[str]], title: str = "",
                  samples: Sequence[Sequence[str]] | None = None,
                  dictionary: Dictionary | None = None, learned: Iterable[LearnedAlias] = (),
                  layout: str = "list") -> SheetMatch:
    """Convenience for one sheet: headers as leaf strings or as paths."""
    paths = [[h] if isinstance(h, str) else list(h) for h in headers]
    return Matcher(dictionary, learned).match_sheet(paths, title, samples, layout)
