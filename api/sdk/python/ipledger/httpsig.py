"""RFC 9421 HTTP message signatures, the Ed25519 profile the server verifies.

    Signature-Input: ipl=("@method" "@path" "@query");created=<unix s>;keyid="<id>";alg="ed25519"
    Signature: ipl=:<base64 Ed25519 signature over the signature base>:

The signature base (RFC 9421 §2.5) is one line per covered component, `"@method": GET`,
`"@path": /v1/...`, `"@query": ?a=b` (`?` alone when there is no query), then
`"@signature-params": ` and the Signature-Input member value exactly as sent; lines are
joined by "\\n", without a trailing newline. `created` must be within 300 s of the
server's clock. The path and query are the request target exactly as sent.
"""

import time

from .keys import b64

COMPONENTS = '("@method" "@path" "@query")'


def signature_base(method, target, params):
    path, _, query = target.partition("?")
    return (f'"@method": {method.upper()}\n"@path": {path}\n"@query": ?{query}\n'
            f'"@signature-params": {params}')


def sign_request(method, target, key, created=None):
    """The Signature-Input and Signature headers for `method` `target` (path and query as
    sent), signed by `key` (a keys.SigningKey with its keyid)."""
    created = int(time.time()) if created is None else int(created)
    params = f'{COMPONENTS};created={created};keyid="{key.keyid}";alg="ed25519"'
    sig = key.sign(signature_base(method, target, params).encode())
    return {"Signature-Input": f"ipl={params}", "Signature": f"ipl=:{b64(sig)}:"}
