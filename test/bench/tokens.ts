import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import type { JWK } from "jose";
import { decodeBase64url } from "../../shared/kernel/base64url.ts";

/** Tokens shaped as keyward's signer makes them (kid, typ; sub, jti, iat, exp), minted fast with node:crypto. */
export function mintTokens(
  alg: "HS256" | "ES256",
  kid: string,
  jwk: JWK,
  count: number,
  nowMs: number,
): string[] {
  const header = Buffer.from(JSON.stringify({ alg, kid, typ: "JWT" })).toString("base64url");
  const iat = Math.floor(nowMs / 1000);
  const sign =
    alg === "HS256"
      ? (
          (secret) => (input: string) =>
            createHmac("sha256", secret).update(input).digest()
        )(decodeBase64url(jwk.k)!)
      : (
          (privateKey) => (input: string) =>
            nodeSign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" })
        )(createPrivateKey({ key: jwk as never, format: "jwk" }));
  const tokens: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(
      JSON.stringify({
        sub: `user-${i}`,
        jti: randomBytes(16).toString("base64url"),
        iat,
        exp: iat + 3600,
      }),
    ).toString("base64url");
    const input = `${header}.${payload}`;
    tokens[i] = `${input}.${sign(input).toString("base64url")}`;
  }
  return tokens;
}

/** The least a verifier can do: signature, constant-time compare, payload JSON, exp. */
export function bareCheck(alg: "HS256" | "ES256", jwk: { k?: string; x?: string; y?: string }) {
  const decodePayload = (payload: string) =>
    JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  if (alg === "HS256") {
    const secret = decodeBase64url(jwk.k)!;
    return (token: string, nowMs: number) => {
      const [header, payload, signature] = token.split(".");
      const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
      const given = Buffer.from(signature!, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      return decodePayload(payload!).exp * 1000 > nowMs;
    };
  }
  const publicKey = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! },
    format: "jwk",
  });
  return (token: string, nowMs: number) => {
    const [header, payload, signature] = token.split(".");
    const ok = nodeVerify(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      { key: publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature!, "base64url"),
    );
    return ok && decodePayload(payload!).exp * 1000 > nowMs;
  };
}
