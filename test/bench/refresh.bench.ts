import { randomBytes, randomUUID } from "node:crypto";
import { createIssuer } from "../../shared/issuing/issuer.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { refreshDigest } from "../../shared/refresh/tokens.ts";
import { UpstashRefreshStore } from "../../shared/refresh/upstash.ts";
import { type Figure, figure, median } from "./harness.ts";
import { bareUpstash, benchServices } from "./services.ts";

const SAMPLES = 1_000;

/**
 * Refresh-token rotation through the issuer against the local REST server (one EVAL, then the
 * access token's signature), beside a bare `@upstash/redis` round trip (GET of one key),
 * alternating call by call; and the bytes Redis holds for a live family (MEMORY USAGE of its
 * keys) after a login and 10 refreshes.
 */
/** What a family after 10 refreshes holds, as JSON text: the data without Redis's per-key cost. */
function rawBytes(familyId: string, digests: readonly string[]): number {
  const at = String(Date.now());
  const family = {
    sub: "alice",
    claims: '{"role":"user"}',
    life: "3600",
    created: at,
    used: at,
    abs: at,
    rules: JSON.stringify([
      "kw:rv:all",
      "kw:rv:s:alice",
      "kw:rv:c:4:role=user",
      `kw:rv:c:3:fid=${familyId}`,
    ]),
    head: digests[0],
  };
  const link = { f: familyId, s: "used", i: at, ie: at, n: digests[0], u: at, r: "0" };
  return (
    JSON.stringify(family).length + digests.length * JSON.stringify(link).length + familyId.length
  );
}

export async function refreshBenchmarks(): Promise<Figure[]> {
  const { upstashUrl: url, upstashToken: token } = await benchServices();
  const prefix = `bench${randomUUID()}:`;
  const now = Date.now();
  const keyring = createKeyring(await generateKey("HS256", now, cryptoRandom), now);
  const store = new UpstashRefreshStore({ url, token, prefix });
  const issuer = createIssuer({
    keyring: { load: async () => keyring },
    clock: systemClock,
    refresh: { store, secret: randomBytes(32) },
  });
  const bare = bareUpstash(url, token);
  const login = await issuer.issue({ sub: "alice", claims: { role: "user" }, refresh: true });
  let current = login.refreshToken as string;
  const digests = [refreshDigest(current)];
  const refresh = async () => {
    const next = await issuer.refresh(current);
    if (!next.ok) throw new Error(`refresh refused: ${next.reason}`);
    current = next.refreshToken;
    if (digests.length < 11) digests.push(refreshDigest(current));
  };
  for (let i = 0; i < 10; i++) await refresh();
  const bytes = await store.bytesOf(login.familyId as string, "alice", digests);
  for (let i = 0; i < 100; i++) {
    await refresh();
    await bare.get(`${prefix}nothing`);
  }
  const adapter: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    for (const which of i % 2 === 0 ? ["refresh", "bare"] : ["bare", "refresh"]) {
      const start = performance.now();
      if (which === "refresh") await refresh();
      else await bare.get(`${prefix}nothing`);
      (which === "refresh" ? adapter : baseline).push(performance.now() - start);
    }
  }
  return [
    figure(
      "refresh.rotation_p50_ms",
      median(adapter),
      "ms",
      "a bare @upstash/redis GET round trip",
      median(baseline),
      "ratio <= 1.5",
    ),
    figure(
      "refresh.bytes_per_family",
      bytes,
      "bytes",
      "the same fields as JSON text (no Redis overhead)",
      rawBytes(login.familyId as string, digests),
      "reported",
    ),
  ];
}
