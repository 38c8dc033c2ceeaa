import type { AddressInfo } from "node:net";
import { KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { serve } from "@hono/node-server";
import { importJWK, SignJWT } from "jose";
import { createIssuingApp } from "../../functions/issuer-api/app.ts";
import { sha256 } from "../../shared/access/credentials.ts";
import { createIssuer } from "../../shared/issuing/issuer.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { kmsCustody, signingKeyTags } from "../../shared/keyring-store/kms-custody.ts";
import { kmsFromEnvironment } from "../../shared/keyring-store/kms-keys.ts";
import { motoClientConfig, motoEnvironment } from "../support/aws.ts";
import { type Figure, figure, median } from "./harness.ts";
import { benchServices } from "./services.ts";

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
 * cost of the cache, the key choice and the jti); the issuing endpoint as deployed (its app, the
 * issuer's 60 s cache, a client credential) against a bare HTTP round trip to the same server
 * (the same POST to a route that answers 404 at once).
 */
export async function issuingBenchmarks(): Promise<Figure[]> {
  const now = Date.now();
  const keyring = createKeyring(await generateKey("HS256", now, cryptoRandom), now);
  const current = keyring.keys[0];
  if (current?.jwk === undefined) throw new Error("no key to sign with");
  const load = async () => keyring;
  const issuer = createIssuer({ keyring: { load }, clock: systemClock });
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

  const credential = "bench-client-credential-0123456789abcdef";
  const app = createIssuingApp({
    issuer: createIssuer({ keyring: { load }, clock: systemClock, cacheTtlSeconds: 60 }),
    clients: [
      {
        name: "bench",
        tokenSha256: sha256(credential),
        claims: ["role"],
        audiences: [],
        maxLifetimeSeconds: 3600,
      },
    ],
    clock: systemClock,
    write: () => undefined,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () =>
      resolve(started),
    );
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const post = (path: string) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${credential}` },
        body: '{"sub":"alice","claims":{"role":"user"}}',
      });
    const endpoint = await compareP50({
      issue: async () => {
        const answer = await post("/v1/tokens");
        if (answer.status !== 201) throw new Error(`POST /v1/tokens answered ${answer.status}`);
        await answer.arrayBuffer();
      },
      // The same request, to a route that answers at once (404): HTTP, body and routing alone.
      roundTrip: async () => {
        await (await post("/v1/nothing")).arrayBuffer();
      },
    });
    return [
      ...(await kmsIssuing()),
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
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Issuing with a key held in KMS (moto's, so only the client's side is measured: the signing
 * input, the SigV4 request, one round trip, the DER signature converted): `keyward/issuer` against
 * the AWS SDK's `Sign` of a signing input of the same size alone, and against the same issuer
 * with a local ES256 key (what the round trip costs a login).
 */
async function kmsIssuing(): Promise<Figure[]> {
  const { motoUrl } = await benchServices();
  const env = motoEnvironment(motoUrl);
  const kms = kmsFromEnvironment(env);
  const now = Date.now();
  const held = await kmsCustody({
    kms,
    random: cryptoRandom,
    tags: signingKeyTags("keyward/bench"),
    schedulesDeletion: false,
  }).create("ES256", now);
  const heldKeyring = createKeyring(held, now);
  const localKeyring = createKeyring(await generateKey("ES256", now, cryptoRandom), now);
  const inKms = createIssuer({
    keyring: { load: async () => heldKeyring },
    kms,
    clock: systemClock,
  });
  const local = createIssuer({ keyring: { load: async () => localKeyring }, clock: systemClock });
  const sample = (await inKms.issue({ sub: "alice", claims: { role: "user" } })).token;
  const signingInput = sample.slice(0, sample.lastIndexOf("."));
  const sdk = new KMSClient(motoClientConfig(motoUrl));
  const arn = held.kms?.arn ?? "";
  const p50 = await compareP50({
    kms: () => inKms.issue({ sub: "alice", claims: { role: "user" } }),
    sdk: () =>
      sdk.send(
        new SignCommand({
          KeyId: arn,
          Message: new TextEncoder().encode(signingInput),
          MessageType: "RAW",
          SigningAlgorithm: "ECDSA_SHA_256",
        }),
      ),
    local: () => local.issue({ sub: "alice", claims: { role: "user" } }),
  });
  sdk.destroy();
  return [
    figure(
      "issuer.kms_issue_p50_ms",
      p50.kms ?? 0,
      "ms",
      "the AWS SDK's KMS Sign of the same signing input alone (one round trip to moto)",
      p50.sdk ?? 1,
      "ratio <= 1.2",
    ),
    figure(
      "issuer.kms_vs_local_p50_ms",
      p50.kms ?? 0,
      "ms",
      "the same issuer with a local ES256 key",
      p50.local ?? 1,
      "stated: what a key that never leaves KMS costs a login (docs/kms.md)",
    ),
  ];
}
