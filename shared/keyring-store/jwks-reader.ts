import type { JWK } from "jose";
import { KeywardError } from "../kernel/errors.ts";
import { type Algorithm, type KeyRecord, KID_PATTERN } from "../keyring/key.ts";
import { KEYRING_SCHEMA, type Keyring } from "../keyring/keyring.ts";

/** The JWKS could not be fetched or read. The message names the URL's host, never a body. */
export class JwksReadFailed extends KeywardError {
  override readonly code = "jwks_read_failed";
}

export interface JwksReaderOptions {
  /** The key set, e.g. the stack's `JwksUrl` output followed by `.well-known/jwks.json`. */
  readonly url: string;
  /** Each fetch answers within this or fails. Default 3,000 ms. */
  readonly timeoutMs?: number;
  /** Default: the platform's `fetch`. */
  readonly fetch?: typeof fetch;
}

/** What a JWKS may hold and keyward verifies with: no HMAC (it is never published), no private members. */
const PUBLIC_ALGORITHMS: ReadonlySet<string> = new Set<Algorithm>(["ES256", "EdDSA", "RS256"]);
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const MAX_JWKS_BYTES = 64 * 1024;

/**
 * Reads verifying keys from a JWKS instead of Secrets Manager: for verifiers that hold no AWS
 * credentials (the edge), of asymmetric keys only. A JWKS says which keys verify, not their
 * status: every key in it reads as `current`, and a key that left it (retired, compromised) as an
 * unknown kid. An emergency still refuses the compromised key's tokens within 1 s: the key rule
 * in the revocation store does that, whatever this copy holds. Keys that are not keyward's kind
 * (another algorithm, an odd kid, private members) are skipped, never trusted.
 */
export class JwksReader {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: JwksReaderOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async load(): Promise<Keyring> {
    const host = new URL(this.#url).host;
    let text: string;
    try {
      const response = await this.#fetch(this.#url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!response.ok) throw new JwksReadFailed(`JWKS at ${host} answered ${response.status}`);
      text = await response.text();
    } catch (error) {
      if (error instanceof JwksReadFailed) throw error;
      throw new JwksReadFailed(`JWKS at ${host} could not be fetched: ${(error as Error).name}`);
    }
    if (text.length > MAX_JWKS_BYTES) throw new JwksReadFailed(`JWKS at ${host} is too large`);
    let parsed: { keys?: unknown };
    try {
      parsed = JSON.parse(text) as { keys?: unknown };
    } catch {
      throw new JwksReadFailed(`JWKS at ${host} is not JSON`);
    }
    if (!Array.isArray(parsed.keys)) throw new JwksReadFailed(`JWKS at ${host} has no keys array`);
    const keys = parsed.keys.flatMap((jwk) => keyOf(jwk) ?? []);
    return { schema: KEYRING_SCHEMA, revision: 0, updatedAt: 0, keys };
  }
}

function keyOf(raw: unknown): KeyRecord | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const jwk = raw as JWK & Record<string, unknown>;
  if (typeof jwk.kid !== "string" || !KID_PATTERN.test(jwk.kid)) return undefined;
  if (typeof jwk.alg !== "string" || !PUBLIC_ALGORITHMS.has(jwk.alg)) return undefined;
  if (jwk.use !== undefined && jwk.use !== "sig") return undefined;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return undefined;
  return {
    kid: jwk.kid,
    alg: jwk.alg as Algorithm,
    status: "current",
    jwk,
    createdAt: 0,
    compromised: false,
    legacy: false,
  };
}
