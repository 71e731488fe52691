"""Seals payloads with Python jwcrypto under a public JWK exported by cardseal.

stdin:  {"public_jwk": {...}, "items": [{"header": {...}, "payload": {...}}, ...]}
stdout: ["<compact JWE>", ...]
"""

import json
import sys

from jwcrypto import jwe, jwk


def main() -> None:
    request = json.load(sys.stdin)
    key = jwk.JWK(**request["public_jwk"])

    envelopes = []
    for item in request["items"]:
        plaintext = json.dumps(item["payload"], separators=(",", ":")).encode("utf-8")
        protected = json.dumps(item["header"], separators=(",", ":"))
        token = jwe.JWE(plaintext, protected=protected)
        token.add_recipient(key)
        envelopes.append(token.serialize(compact=True))
    json.dump(envelopes, sys.stdout)


if __name__ == "__main__":
    main()
