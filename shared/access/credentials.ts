import { createHash } from "node:crypto";
import { ConfigInvalid } from "../kernel/errors.ts";
import { bearerToken } from "../tokens/token-source.ts";

/**
 * Bearer credentials of operators and issuing clients: only their SHA-256 is configured, and a
 * presented credential is compared with every hash in constant time.
 */
export interface HasCredential {
  /** SHA-256 of the bearer credential; the credential itself is never stored. */
  readonly tokenSha256: Uint8Array;
}

/**
 * Node's synchronous hash: a WebCrypto digest costs a thread-pool round trip on every
 * authenticated request (the issuing benchmark).
 */
export function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text).digest());
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** 64 lower-case hex digits, or undefined. */
export function sha256FromHex(hex: unknown): Uint8Array | undefined {
  if (typeof hex !== "string" || !/^[0-9a-f]{64}$/.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/**
 * The holder a bearer credential belongs to. The credential is hashed, then compared with every
 * holder's hash in constant time, without stopping at a match: the time taken says nothing about
 * which holder, or how much of a guess, matched.
 */
export function holderOf<T extends HasCredential>(
  holders: readonly T[],
  credential: string,
): T | undefined {
  const presented = sha256(credential);
  let found: T | undefined;
  for (const holder of holders) {
    let difference = presented.length ^ holder.tokenSha256.length;
    for (let i = 0; i < presented.length; i++)
      difference |= (presented[i] ?? 0) ^ (holder.tokenSha256[i] ?? 0);
    if (difference === 0) found = holder;
  }
  return found;
}

/** The credential of a request: `Authorization: Bearer …`, or `X-Keyward-Credential` behind IAM auth. */
export function presentedCredential(headers: {
  authorization?: string | undefined;
  dedicated?: string | undefined;
}): { readonly given: boolean; readonly credential?: string } {
  const credential =
    headers.dedicated === undefined
      ? bearerToken(headers.authorization)
      : /^(\S+)$/.exec(headers.dedicated.trim())?.[1];
  return credential === undefined ? { given: false } : { given: true, credential };
}

/**
 * A JSON list of named credential holders (operators, issuing clients) from the setting
 * `setting`: each entry has a unique `name` (1 to 64 of letters, digits, _ . @ -) and a
 * `tokenSha256`; `fields` reads the rest of an entry, its problems prefixed with the holder's
 * name. Every problem of every entry is reported at once.
 */
export function parseCredentialHolders<T extends object>(
  json: string,
  setting: string,
  noun: string,
  fields: (entry: Record<string, unknown>, problem: (message: string) => void) => T,
): (T & HasCredential & { readonly name: string })[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigInvalid([`${setting} is not valid JSON`]);
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigInvalid([`${setting} must be a non-empty JSON array of ${noun}s`]);
  const problems: string[] = [];
  const names = new Set<string>();
  const holders = value.map((raw, i) => {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const name =
      typeof entry.name === "string" && /^[A-Za-z0-9_.@-]{1,64}$/.test(entry.name)
        ? entry.name
        : "";
    const who = `${noun} ${name || `#${i + 1}`}`;
    if (name === "")
      problems.push(
        `${noun} #${i + 1}: name must be 1 to 64 characters of letters, digits, _ . @ -`,
      );
    else if (names.has(name)) problems.push(`${noun} ${name}: listed twice`);
    names.add(name);
    const rest = fields(entry, (message) => problems.push(`${who}: ${message}`));
    const hash = sha256FromHex(entry.tokenSha256);
    if (hash === undefined) problems.push(`${who}: tokenSha256 must be 64 lower-case hex digits`);
    return { ...rest, name, tokenSha256: hash ?? new Uint8Array() };
  });
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return holders;
}
