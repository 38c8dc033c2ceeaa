import { randomBytes, randomUUID } from "node:crypto";
import { DAY, MINUTE, systemClock } from "../../shared/kernel/clock.ts";
import { receiptReporter } from "../../shared/receipts/reporter.ts";
import type { LogEntry, RevocationLog } from "../../shared/revocation/change-log.ts";
import { REVOCATION_PROMISE_MS, RevocationMirror } from "../../shared/revocation/mirror.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { UpstashRevocationCheck } from "../../shared/revocation/upstash-check.ts";
import { UpstashRevocationLog } from "../../shared/revocation/upstash-log.ts";
import { UsageRecorder } from "../../shared/usage/counts.ts";
import { UpstashUsageCounter } from "../../shared/usage/upstash-counter.ts";
import { startProxy } from "../support/http-proxy.ts";
import { type Figure, figure } from "./harness.ts";
import { benchServices } from "./services.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
/** Upstash's pay-as-you-go price: $0.2 per 100,000 commands. */
const USD_PER_COMMAND = 0.2 / 100_000;
const RULES = 100_000;

/**
 * The revocation mirror's costs. Upstash commands per 1,000,000 authorizations at a steady 100
 * requests a second (a simulated clock; the commands counted at a proxy in front of the local REST
 * server, while revocations keep being written), against today's one lookup per authorization,
 * with their price; the commands an instance's receipts add to its usage flush. The heap 100,000
 * live rules take in a mirror.
 */
export async function mirrorBenchmarks(): Promise<Figure[]> {
  const { upstashUrl: url, upstashToken: token } = await benchServices();
  const prefix = `bench${randomUUID()}:`;
  const writer = new UpstashRevocationStore({ url, token, timing, prefix, budgetMs: 2_000 });
  const proxy = await startProxy(url);
  try {
    const counted = { url: proxy.url, token };
    const clock = { t: Date.now(), now: () => clock.t };
    const mirror = new RevocationMirror({
      log: new UpstashRevocationLog(counted, prefix, 100),
      fallback: new UpstashRevocationCheck({ ...counted, timing, prefix, budgetMs: 100 }),
      clock,
    });
    await mirror.warmUp();
    // The instance's usage counts and its receipt, flushed once a simulated minute as a verifier does.
    const usage = new UsageRecorder(
      new UpstashUsageCounter(counted, prefix),
      clock.t,
      MINUTE,
      undefined,
      receiptReporter({
        instance: "bench",
        kind: "authorizer",
        region: "local",
        keyring: "signing",
        held: () => undefined,
        mirror,
        clock,
      }),
    );
    proxy.reset();
    const started = clock.t;
    const authorizations = 100_000;
    for (let i = 0; i < authorizations; i++) {
      clock.t += 10;
      // A revocation every 10 s, as an operator or a reused refresh token writes them.
      if (i % 1_000 === 0) await writer.revoke([{ kind: "subject", sub: `user-${i}` }], clock.t);
      await mirror.check({ sub: `user-${i % 500}`, claims: { role: "user" }, issuedAtMs: clock.t });
      await usage.record("k1", clock.t);
    }
    const commands = proxy.commands();
    const count = (...names: string[]) => names.reduce((n, name) => n + (commands[name] ?? 0), 0);
    // The mirror's reads alone (the usage flush is the same with or without a mirror).
    const perMillion =
      (count("XRANGE", "XREVRANGE", "GET", "MGET", "SCAN", "PTTL") * 1_000_000) / authorizations;
    const minutes = (clock.t - started) / MINUTE;
    const receiptCommands = count("SET", "ZADD", "ZREMRANGEBYSCORE") / minutes;
    return [
      figure(
        "mirror.upstash_commands_per_million",
        perMillion,
        "commands",
        "one lookup per authorization (before the mirror)",
        1_000_000,
        "<= one log read per 900 ms freshness bound (11,112)",
      ),
      figure(
        "mirror.upstash_usd_per_million",
        perMillion * USD_PER_COMMAND,
        "USD",
        "one lookup per authorization, at $0.2 per 100,000 commands",
        1_000_000 * USD_PER_COMMAND,
        "reported",
      ),
      figure(
        "receipts.upstash_commands_per_instance_minute",
        receiptCommands,
        "commands",
        "the usage flush they ride with (HINCRBY and EXPIRE, one request)",
        count("HINCRBY", "EXPIRE") / minutes,
        "<= 5 a minute, in the usage flush's request",
      ),
      ...(await heapPerRule()),
      await enforcement(url, token),
    ];
  } finally {
    await proxy.stop();
  }
}

/**
 * The revocation promise, observed: three verifiers' mirrors (the defaults: 900 ms freshness, a
 * 100 ms budget, real time) checking every few milliseconds while a writer revokes a new subject
 * every 50 ms for 10 s; for each rule and verifier, the time from the write's answer to the first
 * refusal. The worst of the 600 against the promise.
 */
async function enforcement(url: string, token: string): Promise<Figure> {
  const prefix = `bench${randomUUID()}:`;
  const writer = new UpstashRevocationStore({ url, token, timing, prefix, budgetMs: 2_000 });
  const verifiers = Array.from({ length: 3 }, () => {
    const mirror = new RevocationMirror({
      log: new UpstashRevocationLog({ url, token }, prefix, 100),
      fallback: new UpstashRevocationCheck({ url, token, timing, prefix, budgetMs: 100 }),
      clock: systemClock,
    });
    return { mirror, waiting: new Map<string, number>() };
  });
  await Promise.all(verifiers.map((v) => v.mirror.warmUp()));
  const delays: number[] = [];
  let writing = true;
  const pollers = verifiers.map(async ({ mirror, waiting }) => {
    while (writing || waiting.size > 0) {
      for (const [sub, answeredAt] of waiting) {
        const status = await mirror
          .check({ sub, claims: {}, issuedAtMs: answeredAt - 1 })
          .catch(() => ({ revoked: true }));
        if (status.revoked) {
          delays.push(performance.now() - answeredAt);
          waiting.delete(sub);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  });
  for (let i = 0; i < 200; i++) {
    const sub = `trial-${i}`;
    await writer.revoke([{ kind: "subject", sub }], Date.now());
    const answeredAt = performance.now();
    for (const { waiting } of verifiers) waiting.set(sub, answeredAt);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  writing = false;
  await Promise.all(pollers);
  return figure(
    "mirror.enforcement_worst_ms",
    Math.max(...delays),
    "ms",
    "the revocation promise",
    REVOCATION_PROMISE_MS,
    "<= 1,000 ms (600 trials: 200 rules, 3 verifiers)",
  );
}

/** A jti as keyward's signers make them: 16 random bytes, base64url (22 characters). */
const jti = () => randomBytes(16).toString("base64url");

/**
 * The heap `make` adds and keeps: measured as the difference between the heap with what it made
 * still referenced and the heap once it is dropped, each after full collections, so garbage and
 * fragmentation from before weigh the same on both sides.
 */
async function retainedBytes(make: () => Promise<{ held: number }>): Promise<number> {
  // Held in an object, and a turn of the event loop after each change: an awaited value can
  // linger in the async function's own registers, and would be counted on both sides.
  const holder: { made: { held: number } | undefined } = { made: await make() };
  const collect = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc?.();
    globalThis.gc?.();
  };
  await collect();
  const withIt = process.memoryUsage().heapUsed;
  if (holder.made?.held !== RULES) throw new Error(`held ${holder.made?.held} of ${RULES}`);
  holder.made = undefined;
  await collect();
  return withIt - process.memoryUsage().heapUsed;
}

/**
 * 100,000 rules as the log would give them (subjects, claims, tokens and keys), parsed from the
 * text a snapshot arrives as, then held by a mirror; beside the least a revocation list can hold,
 * a `Map` of jti to expiry parsed from the same kind of text.
 */
async function heapPerRule(): Promise<Figure[]> {
  if (globalThis.gc === undefined) throw new Error("run with --expose-gc (npm run bench does)");
  const now = Date.now();
  const rules: LogEntry[] = Array.from({ length: RULES }, (_, i) => ({
    key:
      i % 4 === 0
        ? `kw:rv:s:user-${i}@example.com`
        : i % 4 === 1
          ? `kw:rv:c:4:role=role-${i}`
          : i % 4 === 2
            ? `kw:rv:t:22:https://id.example.com:${jti()}`
            : `kw:rv:k:${jti()}`,
    value: now - i,
    expiresAtMs: now + DAY,
  }));
  const text = JSON.stringify(rules);
  const jtiText = JSON.stringify(
    Array.from({ length: RULES }, () => ({ jti: jti(), expiresAtMs: now + DAY })),
  );
  // The log stands in for Upstash here: what is measured is the mirror's own memory.
  const log: RevocationLog = {
    prefix: "kw:",
    since: async (position) => ({ position, head: position.seq, entries: [] }),
    snapshot: async () => ({
      position: { id: "1-0", seq: 1 },
      rules: JSON.parse(text) as LogEntry[],
    }),
  };
  const fallback = { check: async () => ({ revoked: false as const }) };
  const bytes = await retainedBytes(async () => {
    const mirror = new RevocationMirror({
      log,
      fallback,
      clock: { now: () => now },
      maxRules: RULES,
    });
    await mirror.warmUp();
    return { held: mirror.stats().rules, mirror };
  });
  const mapBytes = await retainedBytes(async () => {
    const map = new Map<string, number>();
    for (const entry of JSON.parse(jtiText) as { jti: string; expiresAtMs: number }[])
      map.set(entry.jti, entry.expiresAtMs);
    return { held: map.size, map };
  });
  return [
    figure(
      "mirror.heap_mb_100k_rules",
      bytes / 1024 / 1024,
      "MB",
      "the budget: 32 MB",
      32,
      "<= 32 MB",
    ),
    figure(
      "mirror.bytes_per_rule",
      bytes / RULES,
      "bytes",
      "a Map of jti to expiry, 100,000 entries",
      mapBytes / RULES,
      "<= 100 bytes, ratio <= 1.15",
    ),
    figure(
      "mirror.bytes_per_rule_vs_json",
      bytes / RULES,
      "bytes",
      "the same rules as JSON text",
      text.length / RULES,
      "reported",
    ),
  ];
}
