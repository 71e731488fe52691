"""Opens cardseal envelopes with Python jwcrypto, a JOSE implementation independent of cardseal.

stdin:  {"private_key_pem": "...", "envelopes": ["<compact JWE>", ...]}
stdout: [{"header": {...}, "payload": <parsed JSON>} | {"error": "<exception name>"}, ...]

Only RSA-OAEP-256 and A256GCM are allowed, as a cardseal decoder allows them.
"""

import json
import sys

from jwcrypto import jwe, jwk
from jwcrypto.common import json_decode

ALLOWED_ALGS = ["RSA-OAEP-256", "A256GCM"]


def main() -> None:
    request = json.load(sys.stdin)
    pem = request["private_key_pem"]
    # The test keys carry a warning line above the PEM block; keep the block only.
    pem = pem[pem.index("-----BEGIN"):]
    key = jwk.JWK.from_pem(pem.encode("ascii"))

    results = []
    for envelope in request["envelopes"]:
        token = jwe.JWE(algs=ALLOWED_ALGS)
        try:
            token.deserialize(envelope, key=key)
        except Exception as error:  # jwcrypto raises several exception types; report the name
            results.append({"error": type(error).__name__})
            continue
        header = json_decode(token.objects["protected"])
        results.append({"header": header, "payload": json.loads(token.payload)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
