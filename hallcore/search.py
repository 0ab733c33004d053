"""Guide search (办事指南检索): Chinese text, full pinyin, pinyin initials and item codes.

A pure module (no Flask, Kivy or database): the backend API and the kiosk build
a :class:`SearchIndex` from the items they hold and call :meth:`SearchIndex.search`
on every keystroke.

What a query matches, best first (``Hit.field`` names it):

==========  ====================================================================
name        the name or short name contains the text
code        the item code or id (punctuation ignored: ``ga001`` finds ``GA-001``)
initials    pinyin initials of the name: ``yyzz`` → 营业执照, ``hz`` → 护照
pinyin      full pinyin from a syllable start: ``yingyezhizhao``, ``ying ye``,
            ``zhizhao``; a half-typed last syllable matches (``yingyezh``)
keywords    an extra search word (text, pinyin or initials)
department  the implementing department's name (公安 → every 公安局 item)
materials   a required material's name or notes
conditions  the conditions text
==========  ====================================================================

Within each field an exact match ranks first, then a match at the start, then
one at the start of a word (:data:`WORDS`), then one anywhere inside; for
pinyin and initials the start of the name and the start of a word rank alike,
and a match that ends where a word ends is preferred (``hz`` → 普通护照签发
before 合作社登记 and 银行账户).  Queries and data are NFKC-normalised and
case-folded, and spaces and punctuation are ignored, so ``ＹＹＺＺ``,
``Ying Ye`` and ``建设（环保）`` all work.  Polyphonic characters: the reading
in context (pypinyin's phrase table plus :data:`READING_OVERRIDES`) ranks
first; the other common readings (:data:`POLYPHONIC`) match too, just below.
A query of several space-separated words that matches nothing as a whole
finds the items that match every word.

Everything is precomputed at build time.  Each (field, kind of match) is a
*lane*: a sorted array of every suffix that starts at a character or syllable
boundary, so a keystroke is two binary searches per lane plus a loop over the
matching rows (for prefixes matching many rows, a pre-ranked list read only up
to *limit*); lanes run best first and the search stops as soon as *limit*
items are found that no later lane can beat.  ``bench/bench_search.py``
measures it.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from pypinyin import Style, lazy_pinyin

from protocol.models.catalog import Item

__all__ = ["Hit", "SearchIndex", "normalize", "READING_OVERRIDES", "POLYPHONIC", "WORDS"]

#: Phrases whose reading in item names pypinyin gets wrong (phrase → syllables).
READING_OVERRIDES: dict[str, tuple[str, ...]] = {
    "还款": ("huan", "kuan"), "归还": ("gui", "huan"), "退还": ("tui", "huan"),
    "藏文": ("zang", "wen"), "藏族": ("zang", "zu"), "西藏": ("xi", "zang"),
    "朝阳": ("chao", "yang"), "朝鲜": ("chao", "xian"), "单县": ("shan", "xian"),
}
#: Common polyphonic characters and the readings a visitor may type for them.
POLYPHONIC: dict[str, tuple[str, ...]] = {
    "行": ("xing", "hang"), "长": ("chang", "zhang"), "重": ("zhong", "chong"), "还": ("hai", "huan"),
    "藏": ("cang", "zang"), "会": ("hui", "kuai"), "单": ("dan", "shan"), "乐": ("le", "yue"),
    "调": ("tiao", "diao"), "传": ("chuan", "zhuan"), "参": ("can", "shen"), "率": ("lv", "shuai"),
    "朝": ("chao", "zhao"), "地": ("di", "de"), "都": ("du", "dou"), "种": ("zhong",), "校": ("xiao", "jiao"),
    "给": ("gei", "ji"), "省": ("sheng", "xing"), "差": ("cha", "chai"), "称": ("cheng", "chen"),
    "角": ("jiao", "jue"), "模": ("mo", "mu"), "曾": ("zeng", "ceng"), "车": ("che", "ju"),
    "解": ("jie", "xie"), "卡": ("ka", "qia"), "便": ("bian", "pian"), "强": ("qiang", "jiang"),
    "系": ("xi", "ji"), "血": ("xue", "xie"), "薄": ("bo", "bao"), "查": ("cha", "zha"),
    "处": ("chu",), "期": ("qi", "ji"), "奇": ("qi", "ji"), "应": ("ying",), "几": ("ji",),
    "相": ("xiang",), "供": ("gong",), "更": ("geng",), "落": ("luo", "lao"), "露": ("lu", "lou"),
    "似": ("si", "shi"), "宿": ("su", "xiu"), "识": ("shi", "zhi"), "属": ("shu", "zhu"),
}
#: Words common in item names; a match that starts where one starts is a "word start".
WORDS: tuple[str, ...] = tuple(dict.fromkeys("""
营业执照 执照 护照 港澳 台湾 通行证 签证 签注 身份证 居民 户口 户籍 迁移 迁入 迁出 出入境 驾驶证 行驶证
机动车 登记 备案 审批 审核 核准 核发 许可证 许可 换证 补证 补发 变更 注销 延续 延期 撤销 年检 年审
证明 认定 确认 鉴定 评价 评审 验收 申报 申请 办理 发放 领取 查询 复印 出具 开具 公证 认证 资质 资格
医疗 机构 执业 医师 护士 诊所 卫生 食品 药品 传染病 疫苗 母婴 出生 医学 道路 运输 经营 货运 客运
危险 货物 出租 汽车 驾驶员 从业 船舶 港口 建设 工程 规划 施工 竣工 项目 用地 土地 不动产 房屋 房产
测绘 矿产 采矿 探矿 取水 水土 保持 河道 排污 环境 影响 环评 节能 投资 企业 公司 个体 工商
农民 专业 合作社 种子 农药 兽药 动物 防疫 检疫 渔业 捕捞 林木 采伐 社会 团体 民办 非企业 单位
基金会 结婚 离婚 收养 婚姻 殡葬 低保 救助 优抚 养老 高龄 津贴 残疾人 残疾 就业 失业 创业 贷款
培训 技能 职业 劳动 合同 工伤 社保 社会保险 医保 参保 档案 查阅 利用 移交 广播 电视 出版 印刷
发行 网吧 娱乐 场所 演出 文物 安全 生产 烟花 爆竹 危险化学品 化学品 特种 作业 消防 科技 技术
专利 成果 高新 法律 援助 司法 律师 调解 外商 对外 贸易 酒类 流通 财政 会计 票据 统计 价格 收费
""".split()))

_MAX_VARIANTS = 12
_HOT_ROWS = 128        # a prefix matching more rows than this is pre-ranked (see _Lanes._hot)
_VARIANT_SHIFT = 20   # another reading ranks as if it matched 20 syllables later
_TOP = "\U0010ffff"   # sorts after every character: key < query + _TOP for every key starting with query
EXACT, PREFIX, WORD, INSIDE = 0, 1, 2, 3

# (field, kind, base score), best first.  The bonus added to a base is below
# 10, so a lane followed by one at least 10 lower can end the search.
_LANES: tuple[tuple[str, int, int], ...] = (
    ("name", EXACT, 1000), ("code", EXACT, 980), ("name", PREFIX, 900), ("code", PREFIX, 860),
    ("name", WORD, 840), ("name", INSIDE, 800), ("code", INSIDE, 700),
    ("initials", EXACT, 690), ("pinyin", EXACT, 680), ("initials", PREFIX, 650), ("pinyin", PREFIX, 640),
    ("initials", INSIDE, 600), ("pinyin", INSIDE, 590),
    ("keywords", EXACT, 560), ("keywords", PREFIX, 545), ("keywords", WORD, 530), ("keywords", INSIDE, 530),
    ("kw_reading", EXACT, 515), ("kw_reading", PREFIX, 505), ("kw_reading", INSIDE, 495),
    ("department", PREFIX, 450), ("materials", INSIDE, 300), ("conditions", INSIDE, 280),
)


@dataclass(frozen=True)
class Hit:
    """One search result: the item, how well it matched (higher is better) and where."""

    item: Item
    score: float
    field: str


def normalize(text: str) -> str:
    """NFKC, case-folded, without spaces, punctuation, symbols or control characters; ü as v."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ü", "v")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZCS")


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@lru_cache(maxsize=16384)
def _readings(text: str) -> tuple[tuple[tuple[str, ...], int], ...]:
    """Syllable lists of normalised *text* with the index of the syllable that differs.

    The reading in context comes first (its index is the length: all differs);
    each other reading of one polyphonic character follows.  Every non-Han
    character (a latin letter, a digit) is a syllable of its own.
    """
    primary = list(lazy_pinyin(text, style=Style.NORMAL, errors=lambda run: list(run)))
    if len(primary) != len(text):  # pypinyin merged or split something: go character by character
        primary = [lazy_pinyin(ch, style=Style.NORMAL)[0] if _is_han(ch) else ch for ch in text]
    for phrase, syllables in READING_OVERRIDES.items():
        for match in re.finditer(re.escape(phrase), text):
            primary[match.start():match.end()] = syllables
    out = [(tuple(primary), len(primary))]
    for index, ch in enumerate(text):
        others = set(POLYPHONIC.get(ch, ())) | ({primary[index].replace("v", "u")} if _is_han(ch) else set())
        for reading in sorted(others - {primary[index]}):
            if len(out) < _MAX_VARIANTS:
                out.append((tuple(primary[:index] + [reading] + primary[index + 1:]), index))
    return tuple(out)


_WORD_RE = re.compile("(?=(" + "|".join(map(re.escape, sorted(WORDS, key=len, reverse=True))) + "))")


@lru_cache(maxsize=16384)
def _word_starts(text: str) -> frozenset[int]:
    """Character offsets in *text* where a word of :data:`WORDS` (or a run of non-Han) starts or ends."""
    starts = {0}
    for match in _WORD_RE.finditer(text):
        starts.update((match.start(), match.start() + len(match.group(1))))
    starts.update(i for i in range(1, len(text)) if _is_han(text[i]) != _is_han(text[i - 1]))
    return frozenset(starts)


class _Lanes:
    """Every suffix of some texts, by kind of match, in sorted arrays (one field).

    With *merge_starts* a match at the start of the text and one at the start
    of a word share a lane (pinyin and initials: ``hz`` should find 普通护照签发
    as readily as 合作社); the bonus then prefers a match that covers whole words.
    Each row keeps a bit mask of the query lengths that end exactly at a word end.
    """

    def __init__(self, merge_starts: bool = False) -> None:
        self.merge_starts = merge_starts
        self._rows: dict[tuple[str, int], tuple[int, float, float, int]] = {}
        self.exact: dict[str, list[tuple[int, float]]] = {}
        self.sorted: dict[int, tuple[list[str], list[int], list[float], list[float], list[int]]] = {}
        self.hot: dict[int, dict[str, tuple[array, array]]] = {}

    def add(self, units: Sequence[str], owner: int, words: frozenset[int] = frozenset(),
            upto: int | None = None, shift: int = 0) -> None:
        """Index *units* (characters or syllables) for *owner*: suffixes from offsets 0..upto.

        *shift* > 0 marks another reading of a polyphonic character: always an
        "inside" match, ranked just below the same match in the usual reading.
        """
        whole = "".join(units)
        if not whole:
            return
        inverse = 1.0 / len(whole)
        lengths = [0]
        for unit in units:
            lengths.append(lengths[-1] + len(unit))
        ends = sorted(b for b in words | {len(units)} if 0 < b <= len(units))
        last = len(units) - 1 if upto is None else min(upto, len(units) - 1)
        for offset in range(last + 1):
            key = whole[lengths[offset]:]
            kind = PREFIX if offset == 0 else (WORD if offset in words else INSIDE)
            if shift:
                kind = INSIDE
            elif self.merge_starts and kind == WORD:
                kind = PREFIX
            mask = 0
            for end in ends:
                if end > offset:
                    mask |= 1 << (lengths[end] - lengths[offset])
            row = (kind, -(3.0 / (1 + offset + shift)), -inverse, mask)  # smallest is best
            old = self._rows.get((key, owner))
            if old is None or row[:2] < old[:2]:
                self._rows[(key, owner)] = row
        self.exact.setdefault(whole, []).append((owner, 3.0 / (1 + shift)))

    def freeze(self) -> "_Lanes":
        by_kind: dict[int, list[tuple[str, int, float, float, int]]] = {PREFIX: [], WORD: [], INSIDE: []}
        for (key, owner), (kind, negative_static, negative_inverse, mask) in self._rows.items():
            by_kind[kind].append((key, owner, -negative_static, -negative_inverse, mask))
        for kind, rows in by_kind.items():
            rows.sort()
            self.sorted[kind] = tuple([r[n] for r in rows] for n in range(5))
            self.hot[kind] = self._hot(*self.sorted[kind])
        self._rows = {}
        return self

    @staticmethod
    def _hot(keys, owners, statics, inverses, masks) -> dict[str, tuple[array, array]]:
        """For prefixes matching many rows: each owner's best bonus, best first.

        A keystroke like ``x``, ``许`` or ``xuke`` would otherwise loop over
        thousands of rows; with these lists it reads only the first *limit*
        owners.  A prefix can only be hot inside a hot shorter prefix, so each
        level looks only inside the ranges of the level before.
        """
        hot: dict[str, tuple[array, array]] = {}
        ranges = [(0, len(keys))]
        size = 0
        while ranges:
            size += 1
            deeper = []
            for low, high in ranges:
                index = low
                while index < high:
                    prefix = keys[index][:size]
                    if len(prefix) < size:
                        index += 1
                        continue
                    end = bisect_left(keys, prefix + _TOP, index, high)
                    if end - index > _HOT_ROWS:
                        bonus: dict[int, float] = {}
                        for row in range(index, end):
                            value = statics[row] + 2.9 * size * inverses[row] + ((masks[row] >> size) & 1) * 4.0
                            if value > bonus.get(owners[row], -1.0):
                                bonus[owners[row]] = value
                        ranked = sorted(bonus.items(), key=lambda pair: (-pair[1], pair[0]))
                        hot[prefix] = (array("l", [o for o, _ in ranked]), array("d", [v for _, v in ranked]))
                        deeper.append((index, end))
                    index = end
            ranges = deeper
        return hot

    def scan(self, kind: int, query: str, base: float, field: str, best: dict, depts: list[str] | None,
             department: str | None, limit: int) -> None:
        """Raise *best*[owner] to (score, field) for every match of *kind*.

        The bonus (below 10): 3 for an early match, 4 when the match ends at a
        word end, 2.9 for how much of the text the query covers.
        """
        if kind == EXACT:
            for owner, static in self.exact.get(query, ()):
                if department is None or depts[owner] == department:
                    score = base + static + 6.9
                    if score > best.get(owner, (0,))[0]:
                        best[owner] = (score, field)
            return
        hot = self.hot[kind].get(query)
        if hot is not None:  # only the best `limit` owners of this lane can reach the results
            taken = 0
            for owner, bonus in zip(*hot):
                if department is not None and depts[owner] != department:
                    continue
                score = base + bonus
                if score > best.get(owner, (0,))[0]:
                    best[owner] = (score, field)
                taken += 1
                if taken >= limit:
                    return
            return
        keys, owners, statics, inverses, masks = self.sorted[kind]
        low = bisect_left(keys, query)
        high = bisect_left(keys, query + _TOP, low)
        size = len(query)
        fit = 2.9 * size
        for i in range(low, high):
            owner = owners[i]
            if department is not None and depts[owner] != department:
                continue
            score = base + statics[i] + fit * inverses[i] + ((masks[i] >> size) & 1) * 4.0
            if score > best.get(owner, (0,))[0]:
                best[owner] = (score, field)


class _Texts:
    """Long texts (materials, conditions) joined into one string and searched with ``str.find``."""

    def __init__(self, entries: Iterable[tuple[str, int]]):
        parts, self.starts, self.owners = [], [], []
        pos = 0
        for text, owner in entries:
            if text:
                self.starts.append(pos)
                self.owners.append(owner)
                parts.append(text)
                pos += len(text) + 1
        self.text = "\x00".join(parts)

    def scan(self, kind: int, query: str, base: float, field: str, best: dict, depts: list[str] | None,
             department: str | None, limit: int) -> None:
        text, starts, owners = self.text, self.starts, self.owners
        pos = text.find(query)
        while pos >= 0:
            entry = bisect_right(starts, pos) - 1
            owner = owners[entry]
            if (department is None or depts[owner] == department) and owner not in best:
                best[owner] = (base + 5.0 / (1 + pos - starts[entry]), field)
                if len(best) >= limit:  # the last lanes: catalog order is good enough
                    return
            nxt = entry + 1
            pos = text.find(query, starts[nxt]) if nxt < len(starts) else -1


class _Departments:
    """Department names; a match yields every item of that department."""

    def __init__(self, names: Mapping[str, str], departments: list[str]):
        self.names = {dept: normalize(name) for dept, name in names.items()}
        self.members: dict[str, list[int]] = {}
        for owner, dept in enumerate(departments):
            self.members.setdefault(dept, []).append(owner)

    def scan(self, kind: int, query: str, base: float, field: str, best: dict, depts: list[str] | None,
             department: str | None, limit: int) -> None:
        for dept, name in self.names.items():
            pos = name.find(query)
            if pos < 0 or (department is not None and dept != department):
                continue
            score = base + 5.0 / (1 + pos) + 4.9 * len(query) / len(name)
            for owner in self.members.get(dept, ()):
                if score > best.get(owner, (0,))[0]:
                    best[owner] = (score, field)


class SearchIndex:
    """A precomputed search index over *items* (kept in the order given).

    *department_names* maps department ids to names so that a query for a
    department's name (公安局) also finds its items.
    """

    def __init__(self, items: Iterable[Item], department_names: Mapping[str, str] | None = None):
        self.items: tuple[Item, ...] = tuple(items)
        self._depts = [item.department for item in self.items]
        fields = {name: _Lanes(merge_starts=name in ("initials", "pinyin", "kw_reading"))
                  for name in ("name", "code", "initials", "pinyin", "keywords", "kw_reading")}
        materials, conditions = [], []
        for owner, item in enumerate(self.items):
            for name in dict.fromkeys(normalize(n) for n in (item.name, item.short_name) if n):
                self._add_text(fields["name"], fields["pinyin"], fields["initials"], name, owner)
            for code in dict.fromkeys(normalize(c) for c in (item.code, item.id)):
                fields["code"].add(code, owner)
            for word in dict.fromkeys(normalize(k) for k in item.keywords):
                self._add_text(fields["keywords"], fields["kw_reading"], fields["kw_reading"], word, owner)
            materials.extend((normalize(f"{m.name} {m.notes}"), owner) for m in item.materials)
            conditions.append((normalize(" ".join(item.conditions)), owner))
        scanners = {name: lanes.freeze() for name, lanes in fields.items()}
        scanners["department"] = _Departments(department_names or {}, self._depts)
        scanners["materials"] = _Texts(materials)
        scanners["conditions"] = _Texts(conditions)
        self._lanes = tuple((scanners[field], kind, base, "keywords" if field == "kw_reading" else field)
                            for field, kind, base in _LANES)

    @staticmethod
    def _add_text(text_lanes: _Lanes, pinyin_lanes: _Lanes, initial_lanes: _Lanes, text: str, owner: int) -> None:
        words = _word_starts(text)
        text_lanes.add(text, owner, words)
        for number, (syllables, changed) in enumerate(_readings(text)):
            shift = _VARIANT_SHIFT if number else 0
            upto = changed if number else None  # later suffixes equal the first reading's
            pinyin_lanes.add(syllables, owner, words, upto, shift)
            initial_lanes.add(tuple(s[0] for s in syllables), owner, words, upto, shift)

    def __len__(self) -> int:
        return len(self.items)

    def search(self, query: str, *, department: str | None = None, limit: int = 50) -> list[Hit]:
        """The best *limit* items for *query*, best first; an empty query lists the items in order."""
        if limit <= 0:
            return []
        text = normalize(query)
        if not text:
            return [Hit(item, 0, "all") for item in self.items
                    if department is None or item.department == department][:limit]
        best = self._collect(text, department, limit)
        if not best:
            words = [w for w in (normalize(w) for w in unicodedata.normalize("NFKC", query).split()) if w]
            if len(words) > 1:
                best = self._all_words(words, department)
        top = heapq.nsmallest(limit, best.items(), key=lambda pair: (-pair[1][0], pair[0]))
        return [Hit(self.items[i], round(score, 3), field) for i, (score, field) in top]

    def _collect(self, text: str, department: str | None, limit: int) -> dict[int, tuple[float, str]]:
        best: dict[int, tuple[float, str]] = {}
        lanes = self._lanes
        for index, (scanner, kind, base, field) in enumerate(lanes):
            scanner.scan(kind, text, base, field, best, self._depts, department, limit)
            if len(best) >= limit and index + 1 < len(lanes) and lanes[index + 1][2] + 10 <= base:
                break  # nothing later can beat the `limit` found so far
        return best

    def _all_words(self, words: list[str], department: str | None) -> dict[int, tuple[float, str]]:
        """Items matching every word (score halved: below any whole-query match)."""
        results = [self._collect(word, department, len(self.items) + 1) for word in words]
        common = set(results[0]).intersection(*results[1:])
        return {i: (min(r[i][0] for r in results) / 2, results[0][i][1]) for i in common}
