import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { derToJose, KmsKeys, KmsUnavailable } from "../../../../shared/keyring-store/kms-keys.ts";

const der = (r: number[], s: number[]) =>
  Uint8Array.from([0x30, r.length + s.length + 4, 0x02, r.length, ...r, 0x02, s.length, ...s]);

describe("derToJose", () => {
  it("turns DER's integers into JWS's two 32-byte halves: a leading zero dropped, a short one padded", () => {
    const r = [0x00, 0x80, ...new Array(31).fill(1)];
    const s = [0x05, 0x06];
    const jose = derToJose(der(r, s));
    expect(jose).toHaveLength(64);
    expect([...jose.subarray(0, 32)]).toEqual(r.slice(1));
    expect([...jose.subarray(32)]).toEqual([...new Array(30).fill(0), 0x05, 0x06]);
  });

  it("refuses anything that is not a DER ECDSA signature of the size asked", () => {
    for (const bad of [
      Uint8Array.from([0x31, 0x00]),
      der([1, ...new Array(32).fill(1)], [1]),
      Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01]),
      new Uint8Array(),
    ])
      expect(() => derToJose(bad)).toThrow(KmsUnavailable);
  });
});

describe("KmsKeys.sign", () => {
  // The transport stands in for KMS to show the request a long token makes: moto ignores
  // MessageType, so only the request itself can say what is sent.
  const requests: { target: string; body: Record<string, string> }[] = [];
  const kms = new KmsKeys({
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    transport: async (request) => {
      requests.push({
        target: request.headers["x-amz-target"] ?? "",
        body: JSON.parse(request.body ?? "{}"),
      });
      const signature = Buffer.from(der([1, 2], [3, 4])).toString("base64");
      return { status: 200, headers: {}, body: JSON.stringify({ Signature: signature }) };
    },
  });

  it("sends a token's signing input as it is, and only the SHA-256 digest of one over 4,096 bytes", async () => {
    await kms.sign("arn:aws:kms:eu-west-1:1:key/k", "a.b");
    const long = `h.${"x".repeat(5000)}`;
    await kms.sign("arn:aws:kms:eu-west-1:1:key/k", long);
    expect(requests.map((r) => [r.target, r.body.MessageType])).toEqual([
      ["TrentService.Sign", "RAW"],
      ["TrentService.Sign", "DIGEST"],
    ]);
    expect(requests[0]?.body.Message).toBe(Buffer.from("a.b").toString("base64"));
    expect(requests[1]?.body.Message).toBe(createHash("sha256").update(long).digest("base64"));
    expect(requests.every((r) => r.body.SigningAlgorithm === "ECDSA_SHA_256")).toBe(true);
  });
});

describe("KmsKeys when KMS refuses", () => {
  // moto signs with a disabled key; real KMS answers DisabledException. The transport answers as
  // KMS does, the one fault here the real part (moto) cannot produce.
  const kms = new KmsKeys({
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    transport: async () => ({
      status: 400,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ __type: "DisabledException", message: "key is disabled" }),
    }),
  });

  it("a disabled key signs nothing: the refusal comes back as kms_unavailable with AWS's type, never a token", async () => {
    const refused = await kms.sign("arn:aws:kms:eu-west-1:1:key/k", "a.b").catch((e) => e);
    expect(refused).toBeInstanceOf(KmsUnavailable);
    expect(refused).toMatchObject({ code: "kms_unavailable", awsType: "DisabledException" });
  });
});

describe("KmsKeys across regions", () => {
  it("calls the region a key's ARN names (an issuer beside a replica signs with the home region's key), and its own for a new key", async () => {
    const hosts: string[] = [];
    const kms = new KmsKeys({
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      transport: async (request) => {
        hosts.push(`${new URL(request.url).host} ${request.headers.authorization?.split("/")[2]}`);
        const body = request.headers["x-amz-target"]?.endsWith("CreateKey")
          ? { KeyMetadata: { Arn: "arn:aws:kms:eu-west-1:123456789012:key/k" } }
          : { Signature: Buffer.from(der([1], [2])).toString("base64") };
        return { status: 200, headers: {}, body: JSON.stringify(body) };
      },
    });
    await kms.sign("arn:aws:kms:us-east-1:123456789012:key/k", "a.b");
    await kms.create("k", {});
    expect(hosts).toEqual([
      "kms.us-east-1.amazonaws.com us-east-1",
      "kms.eu-west-1.amazonaws.com eu-west-1",
    ]);
  });
});
