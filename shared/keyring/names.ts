/**
 * The keyrings keyward manages. Both go through one lifecycle, one store, one policy planner and
 * the same operations; what differs is described here (their keys' algorithms are their policies'),
 * and everything else is selected by name (`--keyring sessions`, `/v1/keyrings/sessions/...`).
 */
export const KEYRING_NAMES = ["signing", "sessions"] as const;
export type KeyringName = (typeof KEYRING_NAMES)[number];

export interface KeyringKind {
  readonly name: KeyringName;
  /** What its keys protect, for messages: tokens are signed, sessions are sealed. */
  readonly protects: "tokens" | "sessions";
  /**
   * An emergency also sets the global cut-off: every token issued before is refused. Sealed
   * sessions have no issuance instant to compare, so the sessions keyring relies on its key rules.
   */
  readonly emergencyCutsOffAll: boolean;
}

export const KEYRING_KINDS: Readonly<Record<KeyringName, KeyringKind>> = {
  signing: {
    name: "signing",
    protects: "tokens",
    emergencyCutsOffAll: true,
  },
  sessions: {
    name: "sessions",
    protects: "sessions",
    emergencyCutsOffAll: false,
  },
};

export function isKeyringName(value: unknown): value is KeyringName {
  return typeof value === "string" && (KEYRING_NAMES as readonly string[]).includes(value);
}

/**
 * Where a keyring lives in Secrets Manager, from the deployment's prefix: the signing keyring at
 * the prefix itself (as before there were two), the others beside it (`keyward/prod-sessions`),
 * never under it, so a verifier reading the signing keyring's secrets never reads session keys.
 */
export function keyringSecretPrefix(prefix: string, name: KeyringName): string {
  const trimmed = prefix.replace(/\/+$/, "");
  return name === "signing" ? trimmed : `${trimmed}-${name}`;
}
