import { type HasCredential, sha256FromHex } from "../../shared/credentials.ts";
import { ConfigInvalid } from "../../shared/errors.ts";

export { sha256, toHex } from "../../shared/credentials.ts";

/** viewer: reads; responder: reads and revokes; admin: everything, keys included. */
export const ROLES = ["viewer", "responder", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Operator extends HasCredential {
  readonly name: string;
  readonly role: Role;
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
    const hash = sha256FromHex(entry.tokenSha256);
    if (hash === undefined)
      problems.push(
        `operator ${name || `#${i + 1}`}: tokenSha256 must be 64 lower-case hex digits`,
      );
    return { name, role: entry.role as Role, tokenSha256: hash ?? new Uint8Array() };
  });
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return operators;
}
