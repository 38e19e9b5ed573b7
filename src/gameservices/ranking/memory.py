"""In-process rank index: sorted blocks of rank keys, with a Fenwick tree over the block sizes.

Each user costs one `rank_key` bytes object, held by a block and by a slot of an open-addressing table that
finds a user's key from their userId (the key ends with the UTF-8 userId, so the table needs no userId
string of its own): about 110 bytes per user in all, and nothing the garbage collector tracks, so a million
users add no work to its full collections.
Keys live in sorted Python lists of about `block_size` keys. Finding a key is two C-level bisects (block
maxima, then the block); turning it into a rank adds the sizes of the blocks before it, which a Fenwick
tree answers in O(log blocks). A move within one block (a small score change on a large leaderboard)
leaves every block size alone; a move across blocks updates two sizes in the tree. Nothing is rebuilt
lazily, so reads never pay for earlier writes. Blocks split above 2 x `block_size` keys and merge below
half of it, which bounds their number to about 2n / `block_size`; only then is the tree rebuilt, in
O(blocks). Compared with sortedcontainers.SortedList over the same keys (bench/b5_rank_index.py
--compare), ranks cost the same and updates are faster.

Not thread-safe: the service uses one index per leaderboard from its single event loop thread.
"""

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice

from gameservices.ranking.index import (
    KEY_PREFIX_SIZE,
    RankedEntry,
    entry_from_key,
    key_standing,
    key_user_id,
    keys_columns,
    rank_key,
    rank_keys,
)

DEFAULT_BLOCK_SIZE = 1000
"""Keys per block. At 1,000,000 users 500 to 2,000 measure alike; 1,000 keeps both the O(blocks) tree
rebuilds after a split or merge and the O(block_size) list shifts of each insert small."""


class _SortedBlocks:
    """Unique byte keys in ascending order with O(log n) position, insert, delete and slice."""

    __slots__ = ("_block_size", "_blocks", "_maxes", "_size", "_top_step", "_tree")

    def __init__(self, block_size: int) -> None:
        self._block_size = block_size
        self._blocks: list[list[bytes]] = []
        self._maxes: list[bytes] = []
        self._size = 0
        self._reindex()

    def __len__(self) -> int:
        return self._size

    def load(self, keys: list[bytes]) -> None:
        """Replace the content with `keys`, which must be sorted and unique."""
        size = self._block_size
        self._blocks = [keys[start : start + size] for start in range(0, len(keys), size)]
        self._maxes = [block[-1] for block in self._blocks]
        self._size = len(keys)
        self._reindex()

    def position(self, key: bytes) -> int:
        """Return the 0-based position of `key`, which must be present."""
        block = bisect_left(self._maxes, key)
        position = bisect_left(self._blocks[block], key)
        # Add the keys in the blocks before, as _count_before does (inlined: this is the hot path of rank).
        tree = self._tree
        while block:
            position += tree[block]
            block &= block - 1
        return position

    def count_below(self, key: bytes) -> int:
        """Return the number of keys smaller than `key` (present or not)."""
        block = bisect_left(self._maxes, key)
        if block == len(self._maxes):
            return self._size
        return self._count_before(block) + bisect_left(self._blocks[block], key)

    def add(self, key: bytes) -> None:
        """Insert `key`, which must be absent."""
        maxes = self._maxes
        if not maxes:
            self._blocks.append([key])
            maxes.append(key)
            self._size = 1
            self._reindex()
            return
        block = bisect_left(maxes, key)
        if block == len(maxes):
            block -= 1
            self._blocks[block].append(key)
            maxes[block] = key
        else:
            insort(self._blocks[block], key)
        self._size += 1
        if len(self._blocks[block]) > 2 * self._block_size:
            self._split(block)
        else:
            self._bump(block, 1)

    def remove(self, key: bytes) -> None:
        """Delete `key`, which must be present."""
        block = bisect_left(self._maxes, key)
        keys = self._blocks[block]
        del keys[bisect_left(keys, key)]
        self._size -= 1
        if not keys or (len(keys) < self._block_size // 2 and len(self._blocks) > 1):
            self._merge(block)
        else:
            self._maxes[block] = keys[-1]
            self._bump(block, -1)

    def replace(self, old: bytes, new: bytes) -> None:
        """Delete `old` and insert `new`; within one block no block size changes, so the tree stays as is."""
        maxes = self._maxes
        block = bisect_left(maxes, old)
        if (block == len(maxes) - 1 or new < maxes[block]) and (block == 0 or maxes[block - 1] < new):
            keys = self._blocks[block]
            del keys[bisect_left(keys, old)]
            insort(keys, new)
            maxes[block] = keys[-1]
        else:
            self.remove(old)
            self.add(new)

    def __iter__(self) -> Iterator[bytes]:
        for keys in self._blocks:
            yield from keys

    def keys(self) -> list[bytes]:
        """Return every key in order, as one new list."""
        return list(chain.from_iterable(self._blocks))

    def slice(self, start: int, stop: int) -> list[bytes]:
        """Return the keys at positions start <= position < stop."""
        stop = min(stop, self._size)
        if start >= stop:
            return []
        block, offset = self._locate(start)
        wanted = stop - start
        keys: list[bytes] = []
        while len(keys) < wanted:
            keys.extend(self._blocks[block][offset : offset + wanted - len(keys)])
            block, offset = block + 1, 0
        return keys

    def _split(self, block: int) -> None:
        keys = self._blocks[block]
        half = len(keys) // 2
        self._blocks[block : block + 1] = [keys[:half], keys[half:]]
        self._maxes[block : block + 1] = [keys[half - 1], keys[-1]]
        self._reindex()

    def _merge(self, block: int) -> None:
        """Join a small or empty block with a neighbour, splitting the result again if it is too big."""
        blocks = self._blocks
        if len(blocks) == 1:
            blocks.clear()
            self._maxes.clear()
            self._reindex()
            return
        left = block - 1 if block == len(blocks) - 1 else block
        merged = blocks[left] + blocks[left + 1]
        if len(merged) > 2 * self._block_size:
            half = len(merged) // 2
            blocks[left : left + 2] = [merged[:half], merged[half:]]
            self._maxes[left : left + 2] = [merged[half - 1], merged[-1]]
        else:
            blocks[left : left + 2] = [merged]
            self._maxes[left : left + 2] = [merged[-1]]
        self._reindex()

    def _reindex(self) -> None:
        """Rebuild the Fenwick tree of block sizes in O(blocks); tree[i] covers blocks (i - lowbit(i), i]."""
        count = len(self._blocks)
        tree = [0] + [len(keys) for keys in self._blocks]
        for node in range(1, count + 1):
            parent = node + (node & -node)
            if parent <= count:
                tree[parent] += tree[node]
        self._tree = tree
        self._top_step = 1 << (count.bit_length() - 1) if count else 0

    def _bump(self, block: int, delta: int) -> None:
        tree = self._tree
        node = block + 1
        while node < len(tree):
            tree[node] += delta
            node += node & -node

    def _count_before(self, block: int) -> int:
        """Return the number of keys in the blocks before `block`."""
        tree = self._tree
        total = 0
        while block:
            total += tree[block]
            block &= block - 1
        return total

    def _locate(self, position: int) -> tuple[int, int]:
        """Return (block, offset) of the key at `position`, descending the tree by powers of two."""
        tree = self._tree
        block = 0
        remaining = position
        step = self._top_step
        while step:
            node = block + step
            if node < len(tree) and tree[node] <= remaining:
                block = node
                remaining -= tree[node]
            step >>= 1
        return block, remaining


_FREED = b""
"""A table slot whose key was removed: probes go on past it. No rank key is empty, so it matches no user."""
_LOAD_CHUNK = 10_000


def _table_size(users: int) -> int:
    """Slots for `users` keys: a power of two, at most half full."""
    return 1 << max(3, (2 * users).bit_length())


class MemoryRankIndex:
    """RankIndex held in process memory; rebuilt with `bulk_load` from the database at start.

    The userId lookup is a linear-probing table of keys, indexed by the hash of the UTF-8 userId: a slot holds
    a key, None (never used) or `_FREED` (removed). It grows when used and freed slots pass two thirds.
    """

    __slots__ = ("_filled", "_mask", "_order", "_table", "_used")

    def __init__(self, *, block_size: int = DEFAULT_BLOCK_SIZE) -> None:
        if block_size < 2:
            raise ValueError(f"block_size must be at least 2, got {block_size}")
        self._order = _SortedBlocks(block_size)
        self._table: list[bytes | None] = [None] * _table_size(0)
        self._mask = len(self._table) - 1
        self._used = 0  # slots holding a key
        self._filled = 0  # slots holding a key or _FREED

    def _key(self, user_id: str) -> bytes | None:
        """Return the user's key, or None when the user is absent."""
        slot = self._slot(user_id)
        return None if slot < 0 else self._table[slot]

    def _slot(self, user_id: str) -> int:
        """The table slot holding the user's key, or -1 when the user is absent."""
        encoded = user_id.encode("utf-8", "surrogatepass")
        size = len(encoded) + KEY_PREFIX_SIZE
        table = self._table
        mask = self._mask
        slot = hash(encoded) & mask
        key = table[slot]
        while key is not None:
            if len(key) == size and key.endswith(encoded):
                return slot
            slot = (slot + 1) & mask
            key = table[slot]
        return -1

    def set(self, user_id: str, score: float, reached_at: float) -> None:
        """Insert the user or move them to their new score; raise ValueError for a NaN score or time."""
        key = rank_key(user_id, score, reached_at)
        encoded = key[KEY_PREFIX_SIZE:]
        size = len(key)
        table = self._table
        mask = self._mask
        slot = hash(encoded) & mask
        freed = -1
        previous = table[slot]
        while previous is not None:
            if len(previous) == size and previous.endswith(encoded):
                if previous != key:  # unchanged: keep the one key object the table and the block share
                    self._order.replace(previous, key)
                    table[slot] = key
                return
            if not previous and freed < 0:
                freed = slot
            slot = (slot + 1) & mask
            previous = table[slot]
        self._order.add(key)
        self._used += 1
        if freed >= 0:
            table[freed] = key
            return
        table[slot] = key
        self._filled += 1
        if 3 * self._filled > 2 * len(table):
            self._rehash(self._used)

    def remove(self, user_id: str) -> None:
        """Drop the user; a user who is absent is ignored."""
        slot = self._slot(user_id)
        if slot < 0:
            return
        table = self._table
        self._order.remove(table[slot])  # type: ignore[arg-type]
        self._used -= 1
        # A slot before a never-used one ends no probe chain but its own: it can be never-used too.
        if table[(slot + 1) & self._mask] is None:
            table[slot] = None
            self._filled -= 1
        else:
            table[slot] = _FREED

    def rank(self, user_id: str) -> int | None:
        """Return the user's 1-based rank, or None when the user is absent."""
        # The lookup of _slot, inlined: rank is the most frequent question.
        encoded = user_id.encode("utf-8", "surrogatepass")
        size = len(encoded) + KEY_PREFIX_SIZE
        table = self._table
        mask = self._mask
        slot = hash(encoded) & mask
        key = table[slot]
        while key is not None:
            if len(key) == size and key.endswith(encoded):
                return self._order.position(key) + 1
            slot = (slot + 1) & mask
            key = table[slot]
        return None

    def count_below(self, key: bytes) -> int:
        """Return the number of users whose key (see `rank_key`) is smaller than `key`: who rank above it."""
        return self._order.count_below(key)

    def key_of(self, user_id: str) -> bytes | None:
        """Return the user's `rank_key`, or None when the user is absent."""
        return self._key(user_id)

    def get(self, user_id: str) -> RankedEntry | None:
        """Return the user's entry with their rank, or None when the user is absent."""
        key = self._key(user_id)
        return None if key is None else entry_from_key(self._order.position(key) + 1, key)

    def standing(self, user_id: str) -> tuple[float, float] | None:
        """Return the user's (score, reached_at) without computing the rank, or None when the user is absent."""
        key = self._key(user_id)
        return None if key is None else key_standing(key)

    def entries(self) -> Iterator[tuple[str, float, float]]:
        """Yield every user as (user_id, score, reached_at), in rank order; the index must not change meanwhile."""
        for key in self._order:
            yield (key_user_id(key), *key_standing(key))

    def ranked_columns(self) -> tuple[list[str], list[float]]:
        """Return every user's id and score as two lists in rank order (position i holds rank i + 1)."""
        return keys_columns(self._order.keys())

    def page(self, offset: int, limit: int) -> list[RankedEntry]:
        """Return up to `limit` entries in rank order starting at 0-based `offset`."""
        if offset < 0 or limit < 0:
            raise ValueError(f"offset and limit must not be negative, got {offset} and {limit}")
        keys = self._order.slice(offset, offset + limit)
        return [entry_from_key(rank, key) for rank, key in enumerate(keys, start=offset + 1)]

    def around(self, user_id: str, above: int, below: int) -> list[RankedEntry]:
        """Return the user's entry with up to `above` entries before and `below` after; [] when absent."""
        if above < 0 or below < 0:
            raise ValueError(f"above and below must not be negative, got {above} and {below}")
        key = self._key(user_id)
        if key is None:
            return []
        position = self._order.position(key)
        start = max(0, position - above)
        return self.page(start, position + below + 1 - start)

    def __len__(self) -> int:
        """Return the number of users in the index."""
        return self._used

    def bulk_load(self, entries: Iterable[tuple[str, float, float]]) -> None:
        """Replace the content with (user_id, score, reached_at) rows; a repeated user keeps the last."""
        rows = iter(entries)
        keys: list[bytes] = []
        while chunk := list(islice(rows, _LOAD_CHUNK)):
            user_ids, scores, reached_ats = zip(*chunk, strict=True)
            keys += rank_keys(user_ids, scores, reached_ats)
        self.load_keys(keys)

    def bulk_load_columns(
        self, user_ids: Sequence[str], scores: Sequence[float], reached_ats: Sequence[float]
    ) -> None:
        """`bulk_load` from three columns of the same length."""
        self.load_keys(rank_keys(user_ids, scores, reached_ats))

    def load_keys(self, keys: Iterable[bytes]) -> None:
        """Replace the content with these `rank_key` keys, in any order; of two keys of one user the later wins."""
        keys = keys if isinstance(keys, list) else list(keys)
        # Built aside first, then swapped in.
        table: list[bytes | None] = [None] * _table_size(len(keys))
        mask = len(table) - 1
        for key in keys:
            encoded = key[KEY_PREFIX_SIZE:]
            size = len(key)
            slot = hash(encoded) & mask
            previous = table[slot]
            while previous is not None:
                if len(previous) == size and previous.endswith(encoded):
                    break  # the same user again: the later key wins
                slot = (slot + 1) & mask
                previous = table[slot]
            table[slot] = key
        ordered: list[bytes] = list(filter(None, table))
        if len(ordered) == len(keys):
            # No user twice: sort the keys in the caller's order, which is often close to rank order (rows read
            # in rank order), where timsort is almost linear; the table's hash order would be random.
            ordered = sorted(keys)
        else:
            ordered.sort()
        self._order.load(ordered)
        self._table = table
        self._mask = mask
        self._used = self._filled = len(ordered)

    def _rehash(self, users: int) -> None:
        """Move the keys to a fresh table sized for `users` keys, dropping freed slots."""
        table: list[bytes | None] = [None] * _table_size(users)
        mask = len(table) - 1
        for key in filter(None, self._table):
            slot = hash(key[KEY_PREFIX_SIZE:]) & mask
            while table[slot] is not None:
                slot = (slot + 1) & mask
            table[slot] = key
        self._table = table
        self._mask = mask
        self._filled = self._used
