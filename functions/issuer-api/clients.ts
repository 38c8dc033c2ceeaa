import { type HasCredential, sha256FromHex } from "../../shared/credentials.ts";
import { ConfigInvalid } from "../../shared/errors.ts";

/** A login service allowed to have tokens issued: what it may put into them, and for how long. */
export interface IssuingClient extends HasCredential {
  readonly name: string;
  /** Custom claims it may set (`"*"`: any). Registered claims are keyward's alone. */
  readonly claims: readonly string[];
  /** Audiences it may ask for (`"*"`: any); none: tokens without `aud`. */
  readonly audiences: readonly string[];
  /** Its tokens live at most this long (and never longer than the policy's maximum). */
  readonly maxLifetimeSeconds: number;
}

/**
 * Clients from JSON: `[{"name": "django-login", "tokenSha256": "<64 hex>", "claims": ["role"],
 * "audiences": ["api"], "maxLifetimeSeconds": 900}]`. Every problem is reported at once.
 */
export function parseClients(json: string, policyMaxLifetimeSeconds: number): IssuingClient[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigInvalid(["KEYWARD_ISSUING_CLIENTS is not valid JSON"]);
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigInvalid(["KEYWARD_ISSUING_CLIENTS must be a non-empty JSON array of clients"]);
  const problems: string[] = [];
  const names = new Set<string>();
  const clients = value.map((raw, i): IssuingClient => {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const name =
      typeof entry.name === "string" && /^[A-Za-z0-9_.@-]{1,64}$/.test(entry.name)
        ? entry.name
        : "";
    const who = name || `#${i + 1}`;
    if (name === "")
      problems.push(
        `client #${i + 1}: name must be 1 to 64 characters of letters, digits, _ . @ -`,
      );
    else if (names.has(name)) problems.push(`client ${name}: listed twice`);
    names.add(name);
    const hash = sha256FromHex(entry.tokenSha256);
    if (hash === undefined)
      problems.push(`client ${who}: tokenSha256 must be 64 lower-case hex digits`);
    const list = (field: "claims" | "audiences"): string[] => {
      const items = entry[field] ?? [];
      if (
        !Array.isArray(items) ||
        !items.every((item) => typeof item === "string" && item !== "")
      ) {
        problems.push(`client ${who}: ${field} must be an array of non-empty strings`);
        return [];
      }
      return items as string[];
    };
    const maxLifetime = entry.maxLifetimeSeconds ?? policyMaxLifetimeSeconds;
    if (
      typeof maxLifetime !== "number" ||
      !Number.isInteger(maxLifetime) ||
      maxLifetime < 1 ||
      maxLifetime > policyMaxLifetimeSeconds
    )
      problems.push(
        `client ${who}: maxLifetimeSeconds must be a whole number from 1 to ${policyMaxLifetimeSeconds} (the maximum token lifetime)`,
      );
    return {
      name,
      tokenSha256: hash ?? new Uint8Array(),
      claims: list("claims"),
      audiences: list("audiences"),
      maxLifetimeSeconds: Number(maxLifetime),
    };
  });
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return clients;
}
