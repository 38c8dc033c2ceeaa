import { type Clock, SECOND, systemClock } from "../clock.ts";
import type { Environment } from "../config/env.ts";
import { KeywardError } from "../errors.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { KeyringCache } from "../keyring-cache.ts";
import { readerFromEnvironment } from "../keyring-store/secrets-reader.ts";
import { createSigner, type SignerOptions, type TokenRequest } from "../tokens/signer.ts";

/** Where an issuer reads the keyring: Secrets Manager under a prefix, or any loader. */
export type IssuerKeyring =
  | {
      /** The keyring's Secrets Manager prefix (`KEYWARD_SECRET_PREFIX`), e.g. `keyward/prod`. */
      readonly secretPrefix: string;
      /** Region, credentials and endpoint, from the standard AWS variables. Default `process.env`. */
      readonly env?: Environment;
    }
  | {
      /** A keyring store's `load` (the local stack's file store, tests). */
      readonly load: () => Promise<Keyring | undefined>;
    };

export interface IssuerOptions extends SignerOptions {
  readonly keyring: IssuerKeyring;
  /** How long a loaded keyring is used before it is reloaded. Default 60 (the verifiers'). */
  readonly cacheTtlSeconds?: number;
  /** While loads fail, the last good keyring signs for at most this long. Default 900. */
  readonly maxStaleSeconds?: number;
  readonly clock?: Clock;
}

export interface IssuedToken {
  readonly token: string;
  /** The key that signed it. */
  readonly kid: string;
  readonly jti: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

export interface Issuer {
  /**
   * Signs a token for `sub` with the key the keyring says signs now. Throws `IssuerUnavailable`
   * when no usable keyring is known (never a guess), `UsageError` for a reserved claim or a
   * lifetime over the maximum.
   */
  issue(request: TokenRequest): Promise<IssuedToken>;
}

/** No keyring to sign with: none could be loaded, or the last good one is past the stale bound. */
export class IssuerUnavailable extends KeywardError {
  override readonly code = "keyring_unavailable";
}

/**
 * keyward's token issuer for login services: tokens signed with the current key (or the rolling
 * key of the subject's cohort) of the keyring, read through the same cache as the verifiers (one
 * load in flight, reloaded in the background after the TTL, the last good keyring while loads
 * fail, up to the stale bound), so a login service follows every rotation without a restart.
 */
export function createIssuer(options: IssuerOptions): Issuer {
  const { keyring: source, cacheTtlSeconds, maxStaleSeconds, clock: given, ...signing } = options;
  const clock = given ?? systemClock;
  const load =
    "load" in source
      ? source.load
      : (() => {
          const reader = readerFromEnvironment(source.env ?? process.env, source.secretPrefix);
          return () => reader.load();
        })();
  const ttlMs = (cacheTtlSeconds ?? 60) * SECOND;
  const keyrings = new KeyringCache({
    load,
    clock,
    ttlMs,
    maxStaleMs: (maxStaleSeconds ?? 900) * SECOND,
    // Past the TTL a login waits for the reload (one Secrets Manager read per TTL), so the
    // issuer stops signing with a key an emergency compromised within the TTL, never later.
    backgroundReloadForMs: 0,
  });
  const signer = createSigner(signing);
  return {
    async issue(request) {
      const read = await keyrings.get();
      if (!read.ok) {
        throw new IssuerUnavailable(
          "no keyring to sign with: it could not be loaded (or not for longer than the stale bound)",
        );
      }
      const signed = await signer.issue(read.keyring, request, clock.now());
      return {
        token: signed.token,
        kid: signed.kid,
        jti: signed.jti,
        expiresAt: new Date(signed.exp * SECOND).toISOString(),
      };
    },
  };
}
