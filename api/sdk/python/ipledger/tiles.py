"""C2SP tlog-tiles (c2sp.org/tlog-tiles): tile paths, hash tiles and entry bundles.

A hash tile at level L holds up to 256 consecutive 32-byte hashes of that level (level 0:
leaf hashes; level L+1: the roots of full level-L tiles). An entry bundle holds up to 256
leaves, each as a 2-byte big-endian length then the leaf bytes. A partial tile of width W
(1..255) is served at `<path>.p/<W>`.
"""

from .errors import FormatError


def encode_index(n):
    """The tile index as path elements: 3 digits each, all but the last prefixed 'x'."""
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        parts.insert(0, f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(parts)


def tile_path(level, index, width=256):
    """`tile/<L>/<N>[.p/<W>]`; level "entries" gives the entry bundle path."""
    if not 1 <= width <= 256:
        raise FormatError("a tile is 1 to 256 wide")
    suffix = "" if width == 256 else f".p/{width}"
    return f"tile/{level}/{encode_index(index)}{suffix}"


def tile_hashes(data):
    """The hashes of a hash tile."""
    if len(data) % 32 or not 32 <= len(data) <= 256 * 32:
        raise FormatError("a hash tile is 1 to 256 hashes of 32 bytes")
    return [bytes(data[i:i + 32]) for i in range(0, len(data), 32)]


def entry_bundle_leaves(data):
    """The leaves of an entry bundle."""
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise FormatError("entry bundle ends inside a length")
        n = int.from_bytes(data[i:i + 2], "big")
        if i + 2 + n > len(data):
            raise FormatError("entry bundle ends inside a leaf")
        out.append(bytes(data[i + 2:i + 2 + n]))
        i += 2 + n
    if not 1 <= len(out) <= 256:
        raise FormatError("an entry bundle holds 1 to 256 leaves")
    return out
