import type { RevocationStore } from "../revocation/store.ts";
import {
  EXPIRED_FAMILY_KEPT_MS,
  type Family,
  type FamilyGrant,
  type NewFamily,
  type RefreshSettings,
  type RefreshStore,
  type RotateOutcome,
} from "./store.ts";

interface Link {
  readonly familyId: string;
  /** The digest of the token it succeeded (none for a family's first). */
  readonly parent?: string;
  used?: { at: number; successor: string };
  readonly issuedAt: number;
  readonly idleUntil: number;
}

interface StoredFamily extends NewFamily {
  readonly createdAt: number;
  readonly expiresAt: number;
  lastUsedAt: number;
  head: string;
  revoked?: string;
}

/**
 * Refresh-token families in process memory, for the local stack and unit tests: the same rules,
 * in the same order, as the Upstash script, with the family's cut-offs read from the revocation
 * store it is given. Operations run one at a time, as the script does.
 */
export class MemoryRefreshStore implements RefreshStore {
  readonly #links = new Map<string, Link>();
  readonly #families = new Map<string, StoredFamily>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly revocations: RevocationStore) {}

  create(family: NewFamily, digest: string, nowMs: number, settings: RefreshSettings) {
    return this.#serial(async () => {
      this.#expire(nowMs);
      const expiresAt = nowMs + settings.absoluteMs;
      this.#families.set(family.familyId, {
        ...family,
        createdAt: nowMs,
        expiresAt,
        lastUsedAt: nowMs,
        head: digest,
      });
      this.#links.set(digest, {
        familyId: family.familyId,
        issuedAt: nowMs,
        idleUntil: Math.min(nowMs + settings.idleMs, expiresAt),
      });
    });
  }

  rotate(
    digest: string,
    successorDigest: string,
    nowMs: number,
    settings: RefreshSettings,
    client?: string,
  ) {
    return this.#serial(async (): Promise<RotateOutcome> => {
      this.#expire(nowMs);
      const link = this.#links.get(digest);
      const family = link && this.#families.get(link.familyId);
      if (link === undefined || family === undefined)
        return { kind: "refused", reason: "refresh_token_unknown" };
      if (client !== undefined && family.client !== client)
        return { kind: "refused", reason: "refresh_token_unknown" };
      const known = { familyId: family.familyId, sub: family.sub };
      const grant: FamilyGrant = {
        familyId: family.familyId,
        sub: family.sub,
        claims: family.claims,
        lifetimeSeconds: family.lifetimeSeconds,
        ...(family.audience === undefined ? {} : { audience: family.audience }),
        ...(family.client === undefined ? {} : { client: family.client }),
      };
      if (family.revoked !== undefined)
        return { kind: "refused", reason: "refresh_token_revoked", ...known };
      if (nowMs >= family.expiresAt)
        return { kind: "refused", reason: "refresh_token_expired", ...known };
      const status = await this.revocations.check({ ...family.facts, issuedAtMs: link.issuedAt });
      if (status.revoked) return { kind: "refused", reason: "refresh_token_revoked", ...known };
      if (link.used === undefined) {
        if (nowMs >= link.idleUntil)
          return { kind: "refused", reason: "refresh_token_idle_expired", ...known };
        link.used = { at: nowMs, successor: successorDigest };
        this.#links.set(successorDigest, {
          familyId: family.familyId,
          parent: digest,
          issuedAt: nowMs,
          idleUntil: Math.min(nowMs + settings.idleMs, family.expiresAt),
        });
        family.lastUsedAt = nowMs;
        family.head = successorDigest;
        return { kind: "rotated", grant };
      }
      if (
        link.used.successor === successorDigest &&
        family.head === successorDigest &&
        nowMs - link.used.at <= settings.graceMs
      ) {
        return { kind: "retried", grant };
      }
      family.revoked = "reused";
      await this.revocations.revoke(
        [{ kind: "claim", name: "fid", value: family.familyId }],
        nowMs,
      );
      return { kind: "refused", reason: "refresh_token_reused", ...known };
    });
  }

  families(sub: string, nowMs: number) {
    return this.#serial(async (): Promise<Family[]> => {
      this.#expire(nowMs);
      return [...this.#families.values()]
        .filter((f) => f.sub === sub && f.revoked === undefined && f.expiresAt > nowMs)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((f) => ({
          familyId: f.familyId,
          createdAt: new Date(f.createdAt).toISOString(),
          lastUsedAt: new Date(f.lastUsedAt).toISOString(),
          expiresAt: new Date(f.expiresAt).toISOString(),
          ...(f.client === undefined ? {} : { client: f.client }),
          ...(f.userAgent === undefined ? {} : { userAgent: f.userAgent }),
        }));
    });
  }

  /**
   * Families leave a day after their absolute expiry, with their tokens; a token leaves a day
   * after its idle expiry (as Redis expires them).
   */
  #expire(nowMs: number): void {
    for (const [id, family] of this.#families)
      if (nowMs >= family.expiresAt + EXPIRED_FAMILY_KEPT_MS) this.#families.delete(id);
    for (const [digest, link] of this.#links)
      if (!this.#families.has(link.familyId) || nowMs >= link.idleUntil + EXPIRED_FAMILY_KEPT_MS)
        this.#links.delete(digest);
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
