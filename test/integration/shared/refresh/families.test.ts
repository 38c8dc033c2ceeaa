import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { createIssuer, type Issuer } from "../../../../shared/issuing/issuer.ts";
import { DAY, SECOND } from "../../../../shared/kernel/clock.ts";
import { StoreUnavailable } from "../../../../shared/kernel/errors.ts";
import { MemoryRefreshStore } from "../../../../shared/refresh/memory.ts";
import type { RefreshStore } from "../../../../shared/refresh/store.ts";
import { UpstashRefreshStore } from "../../../../shared/refresh/upstash.ts";
import type { RevocationLog } from "../../../../shared/revocation/change-log.ts";
import { guardRevocations } from "../../../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { RevocationMirror } from "../../../../shared/revocation/mirror.ts";
import type { RevocationStore } from "../../../../shared/revocation/store.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { UpstashRevocationLog } from "../../../../shared/revocation/upstash-log.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { createAuthenticator } from "../../../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../../../shared/verification/keyring-cache.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const timing = {
  maxTokenLifetimeSeconds: 3600,
  clockToleranceSeconds: 5,
  refreshLifetimeSeconds: 30 * 86_400,
};
type Clock = { t: number; now(): number };

/** Both stores, on the same revocation store the verifiers read (Upstash: the local REST server). */
type Stores = { refresh: RefreshStore; revocations: RevocationStore; log: RevocationLog };
const adapters: [string, (clock: Clock) => Stores][] = [
  [
    "memory",
    (clock) => {
      const revocations = new MemoryRevocationStore(timing, clock);
      return { refresh: new MemoryRefreshStore(revocations), revocations, log: revocations };
    },
  ],
  [
    "Upstash (local REST server)",
    () => {
      const { upstashUrl: url, upstashToken: token } = inject("services");
      const prefix = `r${randomUUID()}:`;
      return {
        // Budgets for a shared test machine: 1,000 refreshes at once through one local REST
        // server, beside the other suites, can take over the 2 s a deployment allows one.
        refresh: new UpstashRefreshStore({ url, token, prefix, budgetMs: 10_000 }),
        revocations: new UpstashRevocationStore({ url, token, prefix, timing, budgetMs: 10_000 }),
        log: new UpstashRevocationLog({ url, token }, prefix, 10_000),
      };
    },
  ],
];

async function fixture(
  make: (clock: Clock) => Stores,
  options: { graceSeconds?: number; store?: RefreshStore } = {},
) {
  const clock: Clock = { t: Date.now(), now: () => clock.t };
  const stores = make(clock);
  const keyring = await newKeyring("HS256", clock.t - DAY);
  const reuses: { familyId: string; sub: string }[] = [];
  const issuer: Issuer = createIssuer({
    keyring: { load: async () => keyring },
    clock,
    lifetimeSeconds: 900,
    maxLifetimeSeconds: 3600,
    refresh: {
      store: options.store ?? stores.refresh,
      secret: randomBytes(32),
      ...(options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds }),
      onReused: async ({ familyId, sub }) => {
        reuses.push({ familyId, sub });
      },
    },
  });
  const authenticate = createAuthenticator({
    keyrings: new KeyringCache({ load: async () => keyring, clock }),
    verifier: createVerifier(),
    // As deployed verifiers check: through a mirror of the rules, fed by the change log (a reuse's
    // rule is written there by the refresh script itself).
    revocations: guardRevocations(
      new RevocationMirror({
        log: stores.log,
        fallback: stores.revocations,
        clock,
        // The test's clock moves only when it says: refresh whenever it has, with all the budget
        // the 1 s promise leaves (a shared test machine).
        freshnessMs: 1,
        budgetMs: 999,
      }),
    ),
    clock,
  });
  const login = async (sub = "alice") => {
    const issued = await issuer.issue({ sub, claims: { role: "user" }, refresh: true });
    return { ...issued, refreshToken: issued.refreshToken as string };
  };
  const accepted = async (token: string) => (await authenticate(token)).ok;
  return { clock, issuer, login, accepted, reuses, ...stores };
}

describe.each(adapters)("refresh-token families: %s", (_name, make) => {
  it("rotates through a chain of 100 refreshes, each token once, in one family", async () => {
    const { issuer, login, accepted, clock } = await fixture(make);
    const first = await login();
    expect(first.refreshToken).toMatch(/^kwrt_[A-Za-z0-9_-]{43}$/);
    let token = first.refreshToken;
    const seen = new Set([token]);
    for (let i = 0; i < 100; i++) {
      clock.t += 60 * SECOND;
      const next = await issuer.refresh(token);
      if (!next.ok) throw new Error(`refresh ${i} refused: ${next.reason}`);
      expect(next.familyId).toBe(first.familyId);
      expect(await accepted(next.token)).toBe(true);
      expect(seen.has(next.refreshToken)).toBe(false);
      seen.add(next.refreshToken);
      token = next.refreshToken;
    }
  });

  it("50 concurrent presentations of one token inside the grace all get the same successor; a replay 11 s later revokes the family and its access tokens", async () => {
    const { issuer, login, accepted, clock, reuses } = await fixture(make);
    const session = await login();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => issuer.refresh(session.refreshToken)),
    );
    const refused = answers.flatMap((answer) => (answer.ok ? [] : [answer.reason]));
    expect(refused).toEqual([]);
    const [a] = answers as Extract<(typeof answers)[number], { ok: true }>[];
    if (a === undefined) throw new Error("no answer");
    expect(new Set(answers.map((answer) => answer.ok && answer.refreshToken))).toEqual(
      new Set([a.refreshToken]),
    );
    expect(reuses).toEqual([]);
    for (const answer of answers) if (answer.ok) expect(await accepted(answer.token)).toBe(true);
    clock.t += 11 * SECOND;
    expect(await issuer.refresh(session.refreshToken)).toMatchObject({
      ok: false,
      reason: "refresh_token_reused",
    });
    expect(reuses).toEqual([{ familyId: session.familyId, sub: "alice" }]);
    expect(await accepted(a.token)).toBe(false);
    expect(await accepted(session.token)).toBe(false);
    expect(await issuer.refresh(a.refreshToken)).toMatchObject({
      ok: false,
      reason: "refresh_token_revoked",
    });
    // A new login starts a family that works.
    const again = await login();
    expect(await accepted(again.token)).toBe(true);
    expect((await issuer.refresh(again.refreshToken)).ok).toBe(true);
  });

  it("a stolen token replayed after its owner refreshed locks out both", async () => {
    const { issuer, login, accepted, clock } = await fixture(make);
    const owner = await login();
    const stolen = owner.refreshToken;
    clock.t += 5 * 60 * SECOND;
    const refreshed = await issuer.refresh(owner.refreshToken);
    if (!refreshed.ok) throw new Error("the owner's refresh was refused");
    clock.t += 60 * SECOND;
    expect(await issuer.refresh(stolen)).toMatchObject({ reason: "refresh_token_reused" });
    expect(await issuer.refresh(refreshed.refreshToken)).toMatchObject({
      reason: "refresh_token_revoked",
    });
    expect(await accepted(refreshed.token)).toBe(false);
  });

  it("1,000 concurrent refreshes over 100 families lose no update", async () => {
    const { issuer, login, accepted } = await fixture(make);
    const families = await Promise.all(Array.from({ length: 100 }, (_, i) => login(`user-${i}`)));
    // Ten tabs of each family refresh the same token at once: one rotation, nine retries.
    const answers = await Promise.all(
      families.flatMap((f) => Array.from({ length: 10 }, () => issuer.refresh(f.refreshToken))),
    );
    const successors = new Map<string, Set<string>>();
    for (const answer of answers) {
      if (!answer.ok) throw new Error(`a concurrent refresh was refused: ${answer.reason}`);
      const set = successors.get(answer.familyId as string) ?? new Set();
      set.add(answer.refreshToken);
      successors.set(answer.familyId as string, set);
    }
    expect([...successors.values()].map((s) => s.size)).toEqual(Array(100).fill(1));
    // Every family goes on from its one successor, all of them at once.
    const next = await Promise.all(
      [...successors.values()].map((s) => issuer.refresh([...s][0] as string)),
    );
    expect(next.filter((n) => n.ok)).toHaveLength(100);
    expect(await accepted((next[0] as { token: string }).token)).toBe(true);
  });

  it("expires a token unused for the idle lifetime, and every family at its absolute lifetime", async () => {
    const { issuer, login, clock } = await fixture(make);
    const idle = await login();
    clock.t += 7 * DAY;
    expect(await issuer.refresh(idle.refreshToken)).toMatchObject({
      ok: false,
      reason: "refresh_token_idle_expired",
    });
    let token = (await login()).refreshToken;
    for (let day = 0; day < 29; day++) {
      clock.t += DAY;
      const next = await issuer.refresh(token);
      if (!next.ok) throw new Error(`day ${day}: ${next.reason}`);
      token = next.refreshToken;
    }
    clock.t += DAY;
    expect(await issuer.refresh(token)).toMatchObject({
      ok: false,
      reason: "refresh_token_expired",
    });
  });

  it("revoking the subject, a claim, all, or the family ends the matching families", async () => {
    const { issuer, login, clock, revocations } = await fixture(make);
    for (const target of [
      { kind: "subject", sub: "alice" },
      { kind: "claim", name: "role", value: "user" },
      { kind: "all" },
    ] as const) {
      const session = await login();
      const other = await login("bob");
      clock.t += SECOND;
      await revocations.revoke([target], clock.t);
      clock.t += SECOND;
      expect(await issuer.refresh(session.refreshToken)).toMatchObject({
        reason: "refresh_token_revoked",
      });
      // A login after the revocation starts a family that refreshes.
      expect((await issuer.refresh((await login()).refreshToken)).ok).toBe(true);
      if (target.kind === "subject")
        expect((await issuer.refresh(other.refreshToken)).ok).toBe(true);
    }
    const session = await login();
    await revocations.revoke(
      [{ kind: "claim", name: "fid", value: session.familyId as string }],
      clock.t,
    );
    clock.t += SECOND;
    expect(await issuer.refresh(session.refreshToken)).toMatchObject({
      reason: "refresh_token_revoked",
    });
  });

  it("lets only the client a family was issued to refresh it: another client's attempt is unknown and uses nothing up", async () => {
    const { issuer, accepted } = await fixture(make);
    const issued = await issuer.issue({ sub: "erin", refresh: true, client: "django-login" });
    const token = issued.refreshToken as string;
    expect(await issuer.refresh(token, { client: "other-login" })).toMatchObject({
      ok: false,
      reason: "refresh_token_unknown",
    });
    // Nothing was written: the owner refreshes as if the attempt never happened, and so (holding
    // the keyring) may the library.
    const owner = await issuer.refresh(token, { client: "django-login" });
    if (!owner.ok) throw new Error(`the owner's refresh was refused: ${owner.reason}`);
    expect(await accepted(owner.token)).toBe(true);
    expect(await issuer.refresh(owner.refreshToken)).toMatchObject({ ok: true });
    const library = await issuer.issue({ sub: "erin", refresh: true });
    expect(
      await issuer.refresh(library.refreshToken as string, { client: "django-login" }),
    ).toMatchObject({ ok: false, reason: "refresh_token_unknown" });
  });

  it("answers an unknown or malformed token with its own reason, and never takes an access token for a refresh token or the reverse", async () => {
    const { issuer, login, accepted } = await fixture(make);
    const session = await login();
    expect(await issuer.refresh(`kwrt_${"A".repeat(43)}`)).toMatchObject({
      reason: "refresh_token_unknown",
    });
    expect(await issuer.refresh(session.token)).toMatchObject({
      reason: "refresh_token_malformed",
    });
    expect(await accepted(session.refreshToken)).toBe(false);
    expect((await issuer.refresh(session.refreshToken)).ok).toBe(true);
  });
});

describe("refresh with Upstash down", () => {
  it("fails closed with StoreUnavailable and writes nothing: the token still refreshes once Upstash is back", async () => {
    const { upstashUrl: url, upstashToken: token } = inject("services");
    const prefix = `d${randomUUID()}:`;
    const up = new UpstashRefreshStore({ url, token, prefix });
    const down = new UpstashRefreshStore({
      url: "http://127.0.0.1:9",
      token,
      prefix,
      budgetMs: 200,
    });
    const make = (): Stores => ({
      refresh: up,
      revocations: new UpstashRevocationStore({ url, token, prefix, timing }),
      log: new UpstashRevocationLog({ url, token }, prefix, 10_000),
    });
    const healthy = await fixture(make);
    const session = await healthy.login();
    const broken = await fixture(make, { store: down });
    await expect(broken.login()).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(broken.issuer.refresh(session.refreshToken)).rejects.toBeInstanceOf(
      StoreUnavailable,
    );
    expect((await healthy.issuer.refresh(session.refreshToken)).ok).toBe(true);
  });
});
