"""A login service in Python (as a Django SimpleJWT service would do it) getting its tokens from
keyward's issuing endpoint: POST /v1/tokens, signed with SigV4 for the Function URL's IAM auth,
the client credential in X-Keyward-Credential (Authorization carries the signature).

    python django_login.py URL SUB   (KEYWARD_ISSUER_CREDENTIAL and the AWS_* variables set)

Prints the endpoint's answer, {"token", "kid", "jti", "expiresAt"}, as JSON.
"""

import json
import os
import sys

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def issue_token(url: str, credential: str, sub: str, claims: dict) -> dict:
    body = json.dumps({"sub": sub, "claims": claims})
    request = AWSRequest(
        method="POST",
        url=f"{url}/v1/tokens",
        data=body,
        headers={"content-type": "application/json", "x-keyward-credential": credential},
    )
    aws = Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ.get("AWS_SESSION_TOKEN"),
    )
    SigV4Auth(aws, "lambda", os.environ.get("AWS_REGION", "us-east-1")).add_auth(request)
    response = requests.post(request.url, data=body, headers=dict(request.headers), timeout=10)
    if response.status_code != 201:
        error = response.json().get("error", {})
        raise SystemExit(f"login failed: {response.status_code} {error.get('code')}: {error.get('message')}")
    return response.json()


if __name__ == "__main__":
    url, sub = sys.argv[1], sys.argv[2]
    answer = issue_token(url, os.environ["KEYWARD_ISSUER_CREDENTIAL"], sub, {"role": "user"})
    print(json.dumps(answer))
