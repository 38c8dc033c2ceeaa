import { randomUUID } from "node:crypto";
import { decodeBase64url } from "../../shared/kernel/base64url.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { createSealer } from "../../shared/sealing/sealer.ts";
import { createSessions } from "../../shared/sealing/sessions.ts";
import { type Figure, figure, median } from "./harness.ts";
import { bareUpstash, benchServices } from "./services.ts";

const ROUNDS = 7;
const CALLS = 500;

/** p50 of each candidate over alternating rounds of sequential calls. */
async function p50s(
  candidates: Record<string, () => Promise<unknown>>,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(candidates).map((name) => [name, []]),
  );
  const names = Object.keys(candidates);
  for (const name of names) for (let i = 0; i < 200; i++) await candidates[name]?.();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      for (let i = 0; i < CALLS; i++) {
        const started = performance.now();
        await candidates[name]?.();
        samples[name]?.push(performance.now() - started);
      }
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name] ?? [])]));
}

/**
 * `keyward/sessions` sealing and opening a 1 kB session (the keyring cached, AAD set) against
 * bare WebCrypto AES-GCM with the same key, IV and AAD (the key imported once).
 */
export async function sessionsBenchmarks(): Promise<Figure[]> {
  const now = Date.now();
  const key = await generateKey("A256GCM", now, cryptoRandom);
  const keyring = createKeyring(key, now);
  const sealer = createSealer({
    keyrings: { get: async () => ({ ok: true, keyring, ageMs: 0, stale: false }) },
  });
  const session = new TextEncoder().encode("s".repeat(1024));
  const aad = new TextEncoder().encode("session-id");
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    decodeBase64url(key.jwk?.k) as Uint8Array,
    { name: "AES-GCM" },
    false,
    ["encrypt", "decrypt"],
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const bareSealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad },
    cryptoKey,
    session,
  );
  const envelope = await sealer.seal(session, { aad });
  const opened = await sealer.open(envelope, { aad });
  if (!opened.ok) throw new Error(`the benchmark envelope did not open: ${opened.reason}`);

  const seal = await p50s({
    keyward: () => sealer.seal(session, { aad }),
    bare: () =>
      crypto.subtle.encrypt(
        { name: "AES-GCM", iv: crypto.getRandomValues(new Uint8Array(12)), additionalData: aad },
        cryptoKey,
        session,
      ),
  });
  const open = await p50s({
    keyward: () => sealer.open(envelope, { aad }),
    bare: () =>
      crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, cryptoKey, bareSealed),
  });
  const measured = { seal: [seal, "encrypt"], open: [open, "decrypt"] } as const;
  const ciphers = Object.entries(measured).map(([operation, [p50, bare]]) =>
    figure(
      `sessions.${operation}_p50_us`,
      (p50.keyward ?? 0) * 1000,
      "µs",
      `bare WebCrypto AES-GCM ${bare}, same key`,
      (p50.bare ?? 0) * 1000,
      "ratio <= 1.2",
    ),
  );
  return [...ciphers, await checkedOpen(keyring, envelope, aad)];
}

/**
 * As deployed, an open also asks Upstash for the emergency's key rule (one round trip, within
 * its budget): `createSessions` against the local Upstash REST server, against a bare
 * `@upstash/redis` GET of the same server.
 */
async function checkedOpen(keyring: Keyring, envelope: string, aad: Uint8Array): Promise<Figure> {
  const { upstashUrl: url, upstashToken: token } = await benchServices();
  const prefix = `bench${randomUUID()}:`;
  const sessions = createSessions({
    keyring: { load: async () => keyring },
    upstash: { url, token },
    redisPrefix: prefix,
    revocationBudgetMs: 1000,
  });
  const opened = await sessions.open(envelope, { aad });
  if (!opened.ok) throw new Error(`the checked open failed: ${opened.reason}`);
  const bare = bareUpstash(url, token);
  const p50 = await p50s({
    keyward: () => sessions.open(envelope, { aad }),
    bare: () => bare.get(`${prefix}nothing`),
  });
  return figure(
    "sessions.open_checked_p50_ms",
    p50.keyward ?? 0,
    "ms",
    "a bare @upstash/redis GET round trip",
    p50.bare ?? 0,
    "ratio <= 1.2",
  );
}
