import type { Hono } from "hono";
import { decodeBase64url } from "../../shared/kernel/base64url.ts";
import { parseKeyring } from "../../shared/keyring/serialize.ts";
import { honoJwtApp, runRequests, verifiedApp } from "./edge-cpu.ts";

/**
 * The CPU benchmark's Worker: `POST /setup` with `{keyring, tokens}` builds both apps once (the
 * keyward middleware, and hono/jwt's with the same key); `POST /run?app=&from=&count=` sends that
 * slice of the tokens through one (each token once, as first seen). The caller times /run
 * against /run with count 0, so only the verification is measured.
 */
const state: { apps: Record<string, Hono<never>>; tokens: string[] } = { apps: {}, tokens: [] };

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/setup") {
      const { keyring, tokens } = (await request.json()) as { keyring: string; tokens: string[] };
      const parsed = parseKeyring(keyring);
      const secret = decodeBase64url(parsed.keys[0]?.jwk?.k) ?? new Uint8Array();
      state.apps = {
        keyward: (await verifiedApp(parsed)) as unknown as Hono<never>,
        hono: (await honoJwtApp(secret)) as unknown as Hono<never>,
      };
      state.tokens = tokens;
      return new Response("ready");
    }
    const app = state.apps[url.searchParams.get("app") ?? "keyward"];
    const from = Number(url.searchParams.get("from"));
    const count = Number(url.searchParams.get("count"));
    if (app === undefined) return new Response("no setup", { status: 409 });
    await runRequests(app, state.tokens.slice(from, from + count));
    return new Response("done");
  },
};
