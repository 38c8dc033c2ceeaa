"""keyward's session envelope in Python, with `cryptography`'s AESGCM: the cross-check of
test/integration/shared/sealing/python.test.ts, and the reference for services in Python.

    v1.<kid>.<iv>.<ciphertext||tag>   each part base64url without padding, a 12-byte IV,
                                      the caller's AAD (UTF-8) as associated data

Usage (the key, base64url, in SESSION_KEY):
    sessions_aesgcm.py seal <kid> <aad> <plaintext>   prints the envelope
    sessions_aesgcm.py open <aad> <envelope>          prints the plaintext, or exits 1
"""

import base64
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> int:
    key = AESGCM(unb64url(os.environ["SESSION_KEY"]))
    if sys.argv[1] == "seal":
        kid, aad, plaintext = sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
        iv = os.urandom(12)
        print(f"v1.{kid}.{b64url(iv)}.{b64url(key.encrypt(iv, plaintext, aad))}")
        return 0
    aad, envelope = sys.argv[2].encode(), sys.argv[3]
    version, _kid, iv, sealed = envelope.split(".")
    if version != "v1":
        print("not a v1 envelope", file=sys.stderr)
        return 1
    try:
        print(key.decrypt(unb64url(iv), unb64url(sealed), aad).decode())
    except InvalidTag:
        print("tampered", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
