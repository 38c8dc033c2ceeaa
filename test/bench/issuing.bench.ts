import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importJWK, SignJWT } from "jose";
import { startLocalStack } from "../../functions/local/stack.ts";
import { systemClock } from "../../shared/clock.ts";
import { createIssuer } from "../../shared/issuing/issuer.ts";
import { FileKeyringStore } from "../../shared/keyring-store/file.ts";
import { type Figure, figure, median } from "./harness.ts";

const ROUNDS = 7;
const CALLS = 300;

/** Latencies of `calls` sequential calls, in ms. */
async function latencies(operation: () => Promise<unknown>, calls: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await operation();
    out.push(performance.now() - started);
  }
  return out;
}

/** p50 of each candidate over alternating rounds (so drift on a noisy machine hits both). */
async function compareP50(
  candidates: Readonly<Record<string, () => Promise<unknown>>>,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(candidates).map((name) => [name, []]),
  );
  for (const operation of Object.values(candidates)) await latencies(operation, 50);
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(candidates);
    for (const name of round % 2 === 0 ? names : names.reverse())
      samples[name]?.push(...(await latencies(candidates[name] as () => Promise<unknown>, CALLS)));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [name, median(values)]),
  );
}

/**
 * Issuing: `keyward/issuer`'s `issue` against jose's `SignJWT` with the same key and claims (the
 * cost of the cache, the key choice and the jti); the issuing endpoint of the local stack against
 * a bare HTTP round trip to the same server (the same POST to a route that answers 404 at once).
 */
export async function issuingBenchmarks(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "keyward-bench-issuing-"));
  const stack = await startLocalStack({ port: 0, dir, tickMs: 3_600_000 });
  try {
    const store = new FileKeyringStore(join(dir, "keyring.json"));
    const keyring = await store.load();
    const current = keyring?.keys.find((k) => k.status === "current");
    if (current?.jwk === undefined) throw new Error("the local stack made no keyring");
    const issuer = createIssuer({ keyring: { load: () => store.load() }, clock: systemClock });
    const key = await importJWK(current.jwk, current.alg);
    const library = await compareP50({
      issuer: () => issuer.issue({ sub: "alice", claims: { role: "user" } }),
      jose: () => {
        const iat = Math.floor(Date.now() / 1000);
        return new SignJWT({
          role: "user",
          sub: "alice",
          jti: "0123456789abcdefghijkl",
          iat,
          exp: iat + 3600,
        })
          .setProtectedHeader({ alg: current.alg, kid: current.kid, typ: "JWT" })
          .sign(key);
      },
    });
    const credential = readFileSync(stack.issuerTokenFile, "utf8").trim();
    const endpoint = await compareP50({
      issue: async () => {
        const answer = await fetch(`${stack.url}/v1/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${credential}` },
          body: '{"sub":"alice"}',
        });
        if (answer.status !== 201) throw new Error(`POST /v1/tokens answered ${answer.status}`);
        await answer.arrayBuffer();
      },
      // The same request, to a route that answers at once (404): HTTP, body and routing alone.
      roundTrip: async () => {
        const answer = await fetch(`${stack.url}/v1/nothing`, {
          method: "POST",
          headers: { authorization: `Bearer ${credential}` },
          body: '{"sub":"alice"}',
        });
        await answer.arrayBuffer();
      },
    });
    return [
      figure(
        "issuer.issue_p50_ms",
        library.issuer ?? 0,
        "ms",
        "jose SignJWT, same key and claims",
        library.jose ?? 1,
        "ratio <= 1.2",
      ),
      figure(
        "issuing.endpoint_p50_ms",
        endpoint.issue ?? 0,
        "ms",
        "the same POST to a route of the same server that answers at once",
        endpoint.roundTrip ?? 1,
        "ratio <= 1.5",
      ),
    ];
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
