import { type Clock, SECOND, systemClock } from "../kernel/clock.ts";
import {
  ConfigInvalid,
  collectProblems,
  KeywardError,
  UsageError,
  wholeNumberProblems,
} from "../kernel/errors.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { KmsUnavailable, kmsOnFirstUse } from "../keyring-store/kms-keys.ts";
import { type KeyringSource, keyringLoader } from "../keyring-store/source.ts";
import { instanceRecorder, upstashOptionProblems } from "../receipts/instance-recorder.ts";
import { type RefreshOptions, refreshSettings } from "../refresh/settings.ts";
import { REFRESH_REFUSALS, type RefreshRefusal } from "../refresh/store.ts";
import {
  isRefreshTokenShaped,
  newFamilyId,
  newRefreshToken,
  refreshDigest,
  successorOf,
} from "../refresh/tokens.ts";
import type { KmsSigning } from "../tokens/kms-jws.ts";
import { createSigner, type SignerOptions, type TokenRequest } from "../tokens/signer.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import type { UsageStore } from "../usage/counts.ts";
import { UpstashUsageCounter } from "../usage/upstash-counter.ts";
import { KeyringCache } from "../verification/keyring-cache.ts";

/** Where an issuer reads the keyring: Secrets Manager under a prefix, or any loader. */
/** Where an issuer reads the keyring: Secrets Manager under the prefix, or any loader. */
export type IssuerKeyring = KeyringSource;

export interface IssuerOptions extends SignerOptions {
  readonly keyring: IssuerKeyring;
  /** How long a loaded keyring is used before it is reloaded. Default 60 (the verifiers'). */
  readonly cacheTtlSeconds?: number;
  /** While loads fail, the last good keyring signs for at most this long. Default 900. */
  readonly maxStaleSeconds?: number;
  readonly clock?: Clock;
  /** Refresh tokens (`issue({ refresh: true })`, `refresh(token)`): off without it. */
  readonly refresh?: RefreshOptions;
  /** The verifiers' clock tolerance, for how long a reused family's rule must live. Default 5. */
  readonly clockToleranceSeconds?: number;
  /**
   * Upstash (`UPSTASH_REDIS_REST_URL`/`_TOKEN`, the issuer's credentials): where this issuer
   * writes its receipt, what keyring revision it signs with, at most once a minute with no round
   * trip of a login's own (`keyward verifiers`). None without it.
   */
  readonly upstash?: UpstashSettings;
  /** Instead of `upstash`: where the receipts go (the local stack, tests). */
  readonly receipts?: Pick<UsageStore, "add">;
  /** Prefix of the Upstash keys (`KEYWARD_REDIS_PREFIX`). Default `kw:`. */
  readonly redisPrefix?: string;
  /** This issuer counts as live this long after its last receipt. Default 300. */
  readonly receiptWindowSeconds?: number;
}

export interface IssueRequest extends Omit<TokenRequest, "familyId"> {
  /** Also a refresh token, starting a family (needs the `refresh` option). */
  readonly refresh?: boolean;
  /** Shown by `keyward families` for the family. */
  readonly userAgent?: string;
  /** The issuing client, for the family's listing (the endpoint sets it). */
  readonly client?: string;
}

export interface IssuedToken {
  readonly token: string;
  /** The key that signed it. */
  readonly kid: string;
  readonly jti: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  /** With `refresh: true`, and from every refresh: the family's next refresh token. */
  readonly refreshToken?: string;
  /** The refresh-token family (claim `fid` of the access token). */
  readonly familyId?: string;
}

export type RefreshResult =
  | ({ readonly ok: true } & IssuedToken & { readonly refreshToken: string })
  | { readonly ok: false; readonly reason: RefreshRefusal; readonly message: string };

export interface Issuer {
  /**
   * Signs a token for `sub` with the key the keyring says signs now. Throws `IssuerUnavailable`
   * when no usable keyring is known (never a guess), `UsageError` for a reserved claim or a
   * lifetime over the maximum, `StoreUnavailable` when a refresh family cannot be stored.
   */
  issue(request: IssueRequest): Promise<IssuedToken>;
  /**
   * Uses a refresh token: a new access token and the family's next refresh token, or a refusal
   * with its reason (a reused token revokes its family). Throws `IssuerUnavailable` and
   * `StoreUnavailable` like `issue`: nothing is half done then.
   */
  refresh(refreshToken: string, options?: { readonly client?: string }): Promise<RefreshResult>;
}

/**
 * KMS as this process's AWS variables reach it, made when a key held in KMS first signs (a
 * keyring without one never needs AWS credentials for it).
 */
function kmsOfProcess(): KmsSigning {
  const kms = kmsOnFirstUse(globalThis.process?.env ?? {});
  return { sign: (keyArn, input, alg) => kms().sign(keyArn, input, alg) };
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
  if (typeof options !== "object" || options === null)
    throw new ConfigInvalid(["createIssuer(options): options with a keyring are required"]);
  const {
    keyring: source,
    cacheTtlSeconds,
    maxStaleSeconds,
    clock: given,
    refresh: refreshing,
    clockToleranceSeconds,
    upstash,
    receipts,
    redisPrefix,
    receiptWindowSeconds,
    ...signing
  } = options;
  const clock = given ?? systemClock;
  const problems: string[] = [];
  const loader = keyringLoader(source, "signing");
  if ("problems" in loader) problems.push(...loader.problems);
  problems.push(
    ...wholeNumberProblems({ cacheTtlSeconds, maxStaleSeconds, clockToleranceSeconds }, 0),
    ...upstashOptionProblems({ upstash, redisPrefix, receiptWindowSeconds }),
  );
  const signer = collectProblems(problems, () =>
    createSigner({ ...signing, kms: signing.kms ?? kmsOfProcess() }),
  );
  const ttlMs = (cacheTtlSeconds ?? 60) * SECOND;
  const maxLifetime = signing.maxLifetimeSeconds ?? 86_400;
  const refresh =
    refreshing === undefined
      ? undefined
      : collectProblems(problems, () => ({
          ...refreshing,
          // A reused family's access tokens are refused until the last of them has expired.
          settings: refreshSettings(
            refreshing,
            (nowMs) => Math.floor(nowMs / SECOND) + maxLifetime + 2 * (clockToleranceSeconds ?? 5),
          ),
        }));
  if (problems.length > 0 || signer === undefined || "problems" in loader)
    throw new ConfigInvalid(problems);
  const keyrings = new KeyringCache({
    load: loader.load,
    clock,
    ttlMs,
    maxStaleMs: (maxStaleSeconds ?? 900) * SECOND,
    // Past the TTL a login waits for the reload (one Secrets Manager read per TTL), so the
    // issuer stops signing with a key an emergency compromised within the TTL, never later.
    backgroundReloadForMs: 0,
  });
  const store =
    receipts ??
    (upstash === undefined
      ? undefined
      : new UpstashUsageCounter(
          upstash,
          redisPrefix ?? DEFAULT_REDIS_PREFIX,
          (receiptWindowSeconds ?? 300) * SECOND,
        ));
  const reporting =
    store === undefined
      ? undefined
      : instanceRecorder({ kind: "issuer", keyring: "signing", keyrings, store, clock });
  const keyring = async () => {
    reporting?.touch(clock.now());
    const read = await keyrings.get();
    if (!read.ok) {
      throw new IssuerUnavailable(
        "no keyring to sign with: it could not be loaded (or not for longer than the stale bound)",
      );
    }
    return read.keyring;
  };
  const sign = async (request: TokenRequest, current: Keyring) => {
    let signed: Awaited<ReturnType<typeof signer.issue>>;
    try {
      signed = await signer.issue(current, request, clock.now());
    } catch (error) {
      // A key held in KMS signs only when KMS answers (within its budget): no token otherwise.
      if (error instanceof KmsUnavailable)
        throw new IssuerUnavailable(
          `the signing key is in KMS, which did not sign: ${error.message}`,
        );
      throw error;
    }
    return {
      token: signed.token,
      kid: signed.kid,
      jti: signed.jti,
      expiresAt: new Date(signed.exp * SECOND).toISOString(),
    };
  };
  return {
    async issue({ refresh: wanted, userAgent, client, ...request }) {
      if (!wanted) return sign(request, await keyring());
      if (refresh === undefined)
        throw new UsageError("refresh tokens are not configured for this issuer (option refresh)");
      const familyId = newFamilyId();
      const issued = await sign({ ...request, familyId }, await keyring());
      const refreshToken = newRefreshToken();
      const claims = request.claims ?? {};
      const lifetimeSeconds = request.lifetimeSeconds ?? signer.defaultLifetimeSeconds;
      const audience = request.audience ?? signing.audience;
      await refresh.store.create(
        {
          familyId,
          sub: request.sub,
          claims,
          lifetimeSeconds,
          ...(request.audience === undefined ? {} : { audience: request.audience }),
          ...(client === undefined ? {} : { client }),
          ...(userAgent === undefined ? {} : { userAgent }),
          // What a verifier's revocation check would look at in the family's access tokens.
          facts: {
            sub: request.sub,
            claims: {
              ...claims,
              fid: familyId,
              ...(signing.issuer === undefined ? {} : { iss: signing.issuer }),
              ...(audience === undefined ? {} : { aud: audience }),
            },
          },
        },
        refreshDigest(refreshToken),
        clock.now(),
        refresh.settings,
      );
      return { ...issued, refreshToken, familyId };
    },

    async refresh(refreshToken, { client } = {}) {
      if (refresh === undefined)
        throw new UsageError("refresh tokens are not configured for this issuer (option refresh)");
      if (!isRefreshTokenShaped(refreshToken)) return refused("refresh_token_malformed");
      // The keyring first: a refresh that cannot sign must not use the token up.
      const signing = await keyring();
      const successor = successorOf(refreshToken, refresh.secret);
      const now = clock.now();
      const outcome = await refresh.store.rotate(
        refreshDigest(refreshToken),
        refreshDigest(successor),
        now,
        refresh.settings,
        client,
      );
      if (outcome.kind === "refused") {
        if (
          outcome.reason === "refresh_token_reused" &&
          outcome.familyId !== undefined &&
          outcome.sub !== undefined
        )
          await refresh.onReused?.({ familyId: outcome.familyId, sub: outcome.sub, atMs: now });
        return refused(outcome.reason);
      }
      const { grant } = outcome;
      const issued = await sign(
        {
          sub: grant.sub,
          claims: grant.claims,
          lifetimeSeconds: Math.min(grant.lifetimeSeconds, maxLifetime),
          familyId: grant.familyId,
          ...(grant.audience === undefined ? {} : { audience: grant.audience }),
        },
        signing,
      );
      return { ok: true, ...issued, refreshToken: successor, familyId: grant.familyId };
    },
  };
}

function refused(reason: RefreshRefusal): RefreshResult {
  return { ok: false, reason, message: REFRESH_REFUSALS[reason] };
}
