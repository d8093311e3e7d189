"""RFC 6962 / RFC 9162 Merkle trees: leaf and node hashes, inclusion and consistency.

leaf hash = SHA-256(0x00 || leaf bytes); node hash = SHA-256(0x01 || left || right);
the root of the empty tree is SHA-256(""). The verifiers follow RFC 9162 §2.1.3.2 and
§2.1.4.2 and raise VerificationError on any mismatch.
"""

import hashlib

from .errors import VerificationError


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + bytes(data)).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of(leaves):
    """The Merkle tree hash (RFC 6962 §2.1) of a list of leaf byte strings."""
    def mth(hashes):
        if len(hashes) == 1:
            return hashes[0]
        k = 1
        while k * 2 < len(hashes):
            k *= 2
        return node_hash(mth(hashes[:k]), mth(hashes[k:]))

    if not leaves:
        return hashlib.sha256(b"").digest()
    return mth([leaf_hash(x) for x in leaves])


def _check_hashes(*hashes):
    for h in hashes:
        if not isinstance(h, (bytes, bytearray)) or len(h) != 32:
            raise VerificationError("a hash is not 32 bytes")


def root_from_inclusion_proof(index, size, leaf_hash_, proof):
    _check_hashes(leaf_hash_, *proof)
    if index >= size or index < 0:
        raise VerificationError(f"index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, bytes(leaf_hash_)
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is too short")
    return r


def verify_inclusion(index, size, leaf_hash_, proof, root):
    """Checks that the leaf with hash `leaf_hash_` is at `index` of the tree (size, root)."""
    _check_hashes(root)
    if root_from_inclusion_proof(index, size, leaf_hash_, proof) != bytes(root):
        raise VerificationError(f"inclusion proof of leaf {index} in tree {size} does not verify")


def verify_consistency(size1, size2, root1, root2, proof):
    """Checks that the tree (size2, root2) extends the tree (size1, root1).

    As in RFC 9162 (and transparency-dev/merkle), no proof starts from the empty tree:
    size1 == 0 is refused (a protocol that treats the empty tree as consistent with
    everything must say so itself); size1 == size2 needs an empty proof and equal roots.
    """
    _check_hashes(root1, root2, *proof)
    if size1 <= 0 or size2 < size1:
        raise VerificationError(f"no consistency proof from size {size1} to {size2}")
    if size1 == size2:
        if proof or root1 != root2:
            raise VerificationError("equal sizes need an empty proof and equal roots")
        return
    if not proof:
        raise VerificationError("consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is too short")
    if fr != bytes(root1) or sr != bytes(root2):
        raise VerificationError(f"consistency proof {size1} -> {size2} does not verify")
