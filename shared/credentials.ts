/**
 * Bearer credentials of operators and issuing clients: only their SHA-256 is configured, and a
 * presented credential is compared with every hash in constant time.
 */
export interface HasCredential {
  /** SHA-256 of the bearer credential; the credential itself is never stored. */
  readonly tokenSha256: Uint8Array;
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
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
export async function holderOf<T extends HasCredential>(
  holders: readonly T[],
  credential: string,
): Promise<T | undefined> {
  const presented = await sha256(credential);
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
  const match =
    headers.dedicated === undefined
      ? /^Bearer +(\S+)$/i.exec(headers.authorization ?? "")
      : /^(\S+)$/.exec(headers.dedicated.trim());
  return match?.[1] === undefined
    ? { given: match !== null }
    : { given: true, credential: match[1] };
}
