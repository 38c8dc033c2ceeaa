import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { AwsV4Signer } from "aws4fetch";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AwsCredentials } from "../../../../shared/config/aws-env.ts";
import { awsSigner, type UnsignedRequest } from "../../../../shared/http/aws-signature.ts";

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) =>
  typeof data === "string"
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The SDK's hash, as @smithy/hash-node makes it. */
class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData) {
    this.#hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
}

const LAMBDA: AwsCredentials = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE12",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token=",
};
const LOCAL: AwsCredentials = { accessKeyId: "test", secretAccessKey: "test" };

/** The SDK's signer on the same request: the headers it sends. */
async function sdkHeaders(
  request: UnsignedRequest,
  scope: { region: string; service: string; credentials: AwsCredentials },
  nowMs: number,
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const signer = new SignatureV4({ ...scope, sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === "" ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    { signingDate: new Date(nowMs) },
  );
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

/** aws4fetch's signer on the same request, told to sign every header as the SDK does (it leaves `content-type` out by default). */
async function aws4fetchHeaders(
  request: UnsignedRequest,
  scope: { region: string; service: string; credentials: AwsCredentials },
  nowMs: number,
): Promise<Record<string, string>> {
  const signed = await new AwsV4Signer({
    ...scope.credentials,
    url: request.url,
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    service: scope.service,
    region: scope.region,
    datetime: new Date(nowMs).toISOString().replace(/[:-]|\.\d{3}/g, ""),
    allHeaders: true,
  }).sign();
  return Object.fromEntries(signed.headers);
}

const secretsCall = (url: string, target: string, body: string): UnsignedRequest => ({
  url,
  method: "POST",
  headers: {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": `secretsmanager.${target}`,
  },
  body,
});

describe("awsSigner", () => {
  it("signs a Secrets Manager call exactly as the AWS SDK and aws4fetch do, with Lambda's session token and without", async () => {
    const nowMs = Date.parse("2026-12-07T10:11:12.345Z");
    for (const [url, credentials] of [
      ["https://secretsmanager.eu-west-1.amazonaws.com", LAMBDA],
      ["http://127.0.0.1:4566", LOCAL],
    ] as const) {
      const scope = { service: "secretsmanager", region: "eu-west-1", credentials };
      const request = secretsCall(url, "BatchGetSecretValue", '{"Filters":[{"Key":"name"}]}');
      const ours = await awsSigner(scope)(request, nowMs);
      expect(ours).toEqual(await sdkHeaders(request, scope, nowMs));
      expect(ours).toEqual(await aws4fetchHeaders(request, scope, nowMs));
      expect(ours["x-amz-date"]).toBe("20261207T101112Z");
      expect(ours.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=\S+\/20261207\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;/,
      );
    }
  });

  it("agrees with the AWS SDK on any body, region, path and instant, across days with one signer", async () => {
    const signer = awsSigner({
      service: "secretsmanager",
      region: "us-east-1",
      credentials: LAMBDA,
    });
    const scope = { service: "secretsmanager", region: "us-east-1", credentials: LAMBDA };
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom("", "/", "/a b/c", "/x/../y", "/~user/(1)*"),
        fc.integer({ min: Date.parse("2020-01-01"), max: Date.parse("2040-01-01") }),
        async (body, path, nowMs) => {
          const request = secretsCall(
            `https://secretsmanager.us-east-1.amazonaws.com${path}`,
            "GetSecretValue",
            body,
          );
          expect(await signer(request, nowMs)).toEqual(await sdkHeaders(request, scope, nowMs));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("never puts the secret key in what it sends", async () => {
    const headers = await awsSigner({
      service: "secretsmanager",
      region: "us-east-1",
      credentials: LAMBDA,
    })(
      secretsCall("https://secretsmanager.us-east-1.amazonaws.com", "GetSecretValue", "{}"),
      Date.now(),
    );
    expect(JSON.stringify(headers)).not.toContain(LAMBDA.secretAccessKey);
  });
});
