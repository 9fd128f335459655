"""Label selectors answered for many label sets at once, and the bitmask arithmetic around them.

Items (pod classes, or classes seen through their namespace's labels) are numbered 0..n-1 and sets of
them are Python ints used as bitmasks. An index from each label (key and key=value) to the items
carrying it turns a selector into a few ANDs and ORs over masks, instead of a test of every item: the
cost of a selection grows with the selector and the item count over 64 (the machine words of a mask),
not with items × selectors. Same semantics as k8s_reach._selects, which stays the per-item reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any


def mask_of(indices: Iterable[int], size: int) -> int:
    """The mask with these bits set, built in one pass (ORing bit by bit into a growing int would
    copy the int each time: quadratic in its width)."""
    buffer = bytearray((size + 7) // 8)
    for i in indices:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def bits(mask: int) -> Iterator[int]:
    """The set bits of `mask`, lowest first. Reads the mask once as text: peeling bits off the int
    one at a time would copy it per bit (quadratic in its width for a full mask)."""
    if not mask:
        return
    text = format(mask, "b")[::-1]
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


class LabelIndex:
    """Which of `labels` (item i's labels) each selector selects, as a mask."""

    def __init__(self, labels: Sequence[Mapping[str, str]]) -> None:
        self.size = len(labels)
        self.everyone = (1 << self.size) - 1
        by_value: dict[tuple[str, str], list[int]] = {}
        by_key: dict[str, list[int]] = {}
        for i, one in enumerate(labels):
            for key, value in one.items():
                by_value.setdefault((key, value), []).append(i)
                by_key.setdefault(key, []).append(i)
        self._value = {kv: mask_of(found, self.size) for kv, found in by_value.items()}
        self._key = {k: mask_of(found, self.size) for k, found in by_key.items()}

    def _values(self, key: Any, values: Iterable[Any]) -> int:
        out = 0
        for v in set(values):
            out |= self._value.get((key, v), 0)
        return out

    def select(self, selector: Mapping[str, Any] | None, within: int | None = None) -> int:
        """The items of `within` (default: all) that `selector` selects; None selects every item, as
        an absent selector does."""
        mask = self.everyone if within is None else within
        if selector is None:
            return mask
        for key, value in (selector.get("match_labels") or {}).items():
            mask &= self._value.get((key, value), 0)
        for e in selector.get("match_expressions") or ():
            key, op = e.get("key"), e.get("operator")
            if op == "In":
                mask &= self._values(key, e.get("values") or ())
            elif op == "NotIn":  # a missing key matches NotIn
                mask &= ~self._values(key, e.get("values") or ())
            elif op == "Exists":
                mask &= self._key.get(key, 0)
            elif op == "DoesNotExist":
                mask &= ~self._key.get(key, 0)
        return mask
