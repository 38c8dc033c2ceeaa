import { ConfigInvalid } from "../../shared/errors.ts";

/** viewer: reads; responder: reads and revokes; admin: everything, keys included. */
export const ROLES = ["viewer", "responder", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Operator {
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the operator's bearer credential; the credential itself is never stored. */
  readonly tokenSha256: Uint8Array;
}

export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * Operators from JSON: `[{"name": "alice", "role": "admin", "tokenSha256": "<64 hex>"}]`
 * (`keyward hash-token` prints the hash of a credential). Every problem is reported at once.
 */
export function parseOperators(json: string): Operator[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigInvalid(["KEYWARD_OPERATORS is not valid JSON"]);
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigInvalid(["KEYWARD_OPERATORS must be a non-empty JSON array of operators"]);
  }
  const problems: string[] = [];
  const names = new Set<string>();
  const operators = value.map((raw, i): Operator => {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const name =
      typeof entry.name === "string" && /^[A-Za-z0-9_.@-]{1,64}$/.test(entry.name)
        ? entry.name
        : "";
    if (name === "")
      problems.push(
        `operator #${i + 1}: name must be 1 to 64 characters of letters, digits, _ . @ -`,
      );
    else if (names.has(name)) problems.push(`operator ${name}: listed twice`);
    names.add(name);
    if (!ROLES.includes(entry.role as Role))
      problems.push(`operator ${name || `#${i + 1}`}: role must be one of ${ROLES.join(", ")}`);
    const hash =
      typeof entry.tokenSha256 === "string" && /^[0-9a-f]{64}$/.test(entry.tokenSha256)
        ? entry.tokenSha256
        : "";
    if (hash === "")
      problems.push(
        `operator ${name || `#${i + 1}`}: tokenSha256 must be 64 lower-case hex digits`,
      );
    return { name, role: entry.role as Role, tokenSha256: fromHex(hash) };
  });
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return operators;
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/**
 * The operator a bearer credential belongs to. The credential is hashed, then compared with every
 * operator's hash in constant time, without stopping at a match: the time taken says nothing
 * about which operator, or how much of a guess, matched.
 */
export async function identify(
  operators: readonly Operator[],
  credential: string,
): Promise<Operator | undefined> {
  const presented = await sha256(credential);
  let found: Operator | undefined;
  for (const operator of operators) {
    let difference = presented.length ^ operator.tokenSha256.length;
    for (let i = 0; i < presented.length; i++)
      difference |= (presented[i] ?? 0) ^ (operator.tokenSha256[i] ?? 0);
    if (difference === 0) found = operator;
  }
  return found;
}
