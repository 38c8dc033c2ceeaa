import { DAY, HOUR, MINUTE } from "../kernel/clock.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import type { KeyringStore } from "../keyring-store/store.ts";
import type { InstanceKind } from "../receipts/receipt.ts";
import { receiptReporter } from "../receipts/reporter.ts";
import type { RevocationCheck } from "../revocation/guard.ts";
import { createVerifier } from "../tokens/verifier.ts";
import { UsageRecorder, type UsageStore } from "../usage/counts.ts";
import { type Authenticate, createAuthenticator } from "../verification/authenticate.ts";
import { KeyringCache } from "../verification/keyring-cache.ts";

/** How a simulated verifier lags: never, frozen for hours, or cut off for a day. */
export type Lag = "steady" | "cold" | "cut-off";

/** When verifiers lag in a simulation. */
export interface LaggingSettings {
  /**
   * Hours the edge isolate stays frozen (no request, no receipt), from just after the first
   * pending key is published; 0: never. Default 6.
   */
  readonly coldHours?: number;
  /**
   * The day (from 1) at whose start an authorizer is cut off from everything for 24 h (no request
   * reaches it, it reaches no store, it writes no receipt); none when undefined. `keyward
   * simulate` takes the emergency drill's day, so the emergency happens while it is away.
   */
  readonly cutOffDay?: number;
}

/** One simulated verifier, as the report shows it. */
export interface SimulatedVerifier {
  readonly name: string;
  readonly kind: InstanceKind;
  readonly lag: Lag;
  /** When it was away (frozen or cut off), if it was. */
  readonly away?: { readonly from: string; readonly until: string };
  readonly verifications: number;
}

interface Member {
  readonly name: string;
  readonly kind: InstanceKind;
  readonly lag: Lag;
  readonly keyrings: KeyringCache;
  readonly authenticate: Authenticate;
  readonly usage: UsageRecorder;
  away?: { from: number; until: number };
  verifications: number;
}

export interface FleetDeps {
  readonly keyrings: Pick<KeyringStore, "load">;
  readonly revocations: RevocationCheck;
  readonly usage: Pick<UsageStore, "add">;
  readonly policy: RotationPolicy;
  readonly maxTokenLifetimeSeconds: number;
  readonly clock: { readonly now: () => number };
}

/**
 * The verifiers of a simulation, each with its own keyring cache, authenticator, usage counts and
 * receipts (so the rotation's evidence gate reads what they hold): an authorizer that never lags,
 * an edge isolate frozen for hours right after a key is published, and an authorizer cut off for a
 * day. A user's requests go to one of them (user modulo 3); while it is away, to the first.
 */
export class VerifierFleet {
  readonly #members: Member[];
  readonly #coldMs: number;

  constructor(
    private readonly deps: FleetDeps,
    startMs: number,
    lagging: LaggingSettings,
  ) {
    this.#coldMs = (lagging.coldHours ?? 6) * HOUR;
    const { cutOffDay } = lagging;
    this.#members = [
      this.#member("authorizer-1", "authorizer", "steady", startMs),
      this.#member("edge-1", "edge", "cold", startMs),
      this.#member("authorizer-2", "authorizer", "cut-off", startMs),
    ];
    const cutOff = this.#members[2] as Member;
    if (cutOffDay !== undefined) {
      const from = startMs + (cutOffDay - 1) * DAY;
      cutOff.away = { from, until: from + DAY };
    }
  }

  #member(name: string, kind: InstanceKind, lag: Lag, startMs: number): Member {
    const { deps } = this;
    const keyrings = new KeyringCache({
      load: () => deps.keyrings.load(),
      clock: deps.clock,
      ttlMs: deps.policy.keyringCacheTtlMs,
    });
    const receipt = receiptReporter({
      instance: name,
      kind,
      region: kind === "edge" ? "colo" : "region",
      keyring: "signing",
      held: () => keyrings.held,
      clock: deps.clock,
    });
    return {
      name,
      kind,
      lag,
      keyrings,
      authenticate: createAuthenticator({
        keyrings,
        verifier: createVerifier({ maxLifetimeSeconds: deps.maxTokenLifetimeSeconds }),
        revocations: deps.revocations,
        clock: deps.clock,
      }),
      usage: new UsageRecorder(deps.usage, startMs, HOUR, undefined, receipt),
      verifications: 0,
    };
  }

  /** The verifier that answers `user`'s request at `at`. */
  verifierFor(user: number, at: number): Member {
    const own = this.#members[user % this.#members.length] as Member;
    return isAway(own, at) ? (this.#members[0] as Member) : own;
  }

  /** Verifies a token as `user`'s verifier does at `at`, counting what it verified. */
  async verify(user: number, token: string, at: number) {
    const member = this.verifierFor(user, at);
    const result = await member.authenticate(token);
    if (result.ok) {
      member.verifications++;
      member.usage.record(result.kid, at);
    }
    return result;
  }

  /**
   * Before the rotation function runs: each verifier that is not away loads what is due and writes
   * its receipt (as a live instance has within its last minute); one away writes nothing and drops
   * out of the live ones after the receipts' window.
   */
  async beforeTick(at: number): Promise<void> {
    for (const member of this.#members) {
      if (isAway(member, at)) continue;
      await member.keyrings.get();
      await member.keyrings.loading;
      await member.usage.flush(at);
    }
  }

  /** After it ran: the edge isolate freezes just after the first pending key is published. */
  afterTick(keyring: Keyring | undefined, at: number): void {
    const edge = this.#members[1] as Member;
    if (edge.away !== undefined || this.#coldMs === 0) return;
    if (keyring?.keys.some((key) => key.status === "pending"))
      edge.away = { from: at + MINUTE, until: at + MINUTE + this.#coldMs };
  }

  /** Writes every verifier's last counts. */
  async flush(at: number): Promise<void> {
    for (const member of this.#members) await member.usage.flush(at);
  }

  report(): SimulatedVerifier[] {
    const iso = (ms: number) => new Date(ms).toISOString();
    return this.#members.map((m) => ({
      name: m.name,
      kind: m.kind,
      lag: m.lag,
      ...(m.away === undefined
        ? {}
        : { away: { from: iso(m.away.from), until: iso(m.away.until) } }),
      verifications: m.verifications,
    }));
  }
}

const isAway = (member: Member, at: number) =>
  member.away !== undefined && at >= member.away.from && at < member.away.until;
