import { type HasCredential, parseCredentialHolders } from "./credentials.ts";

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
  return parseCredentialHolders(json, "KEYWARD_ISSUING_CLIENTS", "client", (entry, problem) => {
    const list = (field: "claims" | "audiences"): string[] => {
      const items = entry[field] ?? [];
      if (
        !Array.isArray(items) ||
        !items.every((item) => typeof item === "string" && item !== "")
      ) {
        problem(`${field} must be an array of non-empty strings`);
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
      problem(
        `maxLifetimeSeconds must be a whole number from 1 to ${policyMaxLifetimeSeconds} (the maximum token lifetime)`,
      );
    return {
      claims: list("claims"),
      audiences: list("audiences"),
      maxLifetimeSeconds: Number(maxLifetime),
    };
  });
}
