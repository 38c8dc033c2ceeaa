import { type HasCredential, parseCredentialHolders } from "./credentials.ts";

export { sha256, toHex } from "./credentials.ts";

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
  return parseCredentialHolders(json, "KEYWARD_OPERATORS", "operator", (entry, problem) => {
    if (!ROLES.includes(entry.role as Role)) problem(`role must be one of ${ROLES.join(", ")}`);
    return { role: entry.role as Role };
  });
}
