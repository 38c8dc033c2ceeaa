"""A relying service in Python verifying keyward's tokens with PyJWT from the public JWKS alone:
the cross-check of test/integration/functions/local/kms.test.ts (an ES256 key held in KMS).

Usage:
    pyjwt_verify.py <jwks-url> <token>   prints the verified claims as JSON, or exits 1
"""

import json
import sys

import jwt


def main() -> int:
    url, token = sys.argv[1], sys.argv[2]
    try:
        key = jwt.PyJWKClient(url, cache_keys=False).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["ES256"], options={"verify_aud": False})
    except jwt.PyJWTError as error:
        print(f"refused: {type(error).__name__}", file=sys.stderr)
        return 1
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
