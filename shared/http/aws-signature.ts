import type { CryptoKey } from "jose";
import type { AwsCredentials } from "../config/aws-env.ts";

export interface AwsScope {
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
}

/** What is signed: the request as it will be sent (its `Host` is the URL's). */
export interface UnsignedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * AWS Signature Version 4 for a verifier's calls (Secrets Manager's JSON API), with WebCrypto so
 * that the same code signs in Node, Workers and Deno. Written out instead of taken from the SDK
 * (most of a cold start) or aws4fetch (whose `Request` loads `fetch` in Node); the unit tests hold
 * it to the SDK's signer and to aws4fetch, header for header. The signing key is derived once a
 * day, as it only changes with the date.
 *
 * Answers the headers to send: the request's, `x-amz-date`, `x-amz-security-token` with temporary
 * credentials (Lambda's), and `authorization`. Header names must be lower case.
 */
export function awsSigner(
  scope: AwsScope,
): (request: UnsignedRequest, nowMs: number) => Promise<Record<string, string>> {
  const { service, region, credentials } = scope;
  const derive = async (date: string) => {
    let key = await hmacKey(encoder.encode(`AWS4${credentials.secretAccessKey}`));
    for (const part of [date, region, service, "aws4_request"])
      key = await hmacKey(new Uint8Array(await hmac(key, part)));
    return key;
  };
  let derived: { readonly date: string; readonly key: Promise<CryptoKey> } | undefined;
  const signingKey = (date: string) => {
    if (derived?.date !== date) {
      const key = derive(date);
      // A derivation that failed is not kept: the next request derives again.
      key.catch(() => {
        if (derived?.key === key) derived = undefined;
      });
      derived = { date, key };
    }
    return derived.key;
  };

  return async (request, nowMs) => {
    const url = new URL(request.url);
    const amzDate = new Date(nowMs).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const date = amzDate.slice(0, 8);
    const headers: Record<string, string> = {
      ...request.headers,
      "x-amz-date": amzDate,
      ...(credentials.sessionToken === undefined
        ? {}
        : { "x-amz-security-token": credentials.sessionToken }),
    };
    const signing: Record<string, string> = { ...headers, host: url.host };
    const names = Object.keys(signing).sort();
    const signedHeaders = names.join(";");
    const canonical = [
      request.method,
      canonicalPath(url.pathname),
      canonicalQuery(url.searchParams),
      ...names.map((name) => `${name}:${String(signing[name]).trim().replace(/\s+/g, " ")}`),
      "",
      signedHeaders,
      hex(await sha256(request.body ?? "")),
    ].join("\n");
    const credentialScope = `${date}/${region}/${service}/aws4_request`;
    const toSign = [
      "AWS4-HMAC-SHA256",
      amzDate,
      credentialScope,
      hex(await sha256(canonical)),
    ].join("\n");
    const signature = hex(await hmac(await signingKey(date), toSign));
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}

const encoder = new TextEncoder();

function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

const hmac = (key: CryptoKey, data: string) =>
  crypto.subtle.sign("HMAC", key, encoder.encode(data));

const sha256 = (data: string) => crypto.subtle.digest("SHA-256", encoder.encode(data));

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** RFC 3986 encoding, as SigV4 wants it: `encodeURIComponent` leaves `!'()*` alone. */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Every service but S3 signs the path as sent, encoded once more. */
function canonicalPath(pathname: string): string {
  return rfc3986(pathname.replace(/\/+/g, "/")).replace(/%2F/g, "/");
}

/** Parameters sorted by encoded name, then value. */
function canonicalQuery(params: URLSearchParams): string {
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...params]
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, x], [b, y]) => order(a, b) || order(x, y))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}
