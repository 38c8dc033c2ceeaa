import type { Hono } from "hono";
import type { KeywardEnv } from "../../functions/edge/middleware.ts";
import { parseKeyring } from "../../shared/keyring/serialize.ts";
import { runRequests, verifiedApp } from "./edge-cpu.ts";

/**
 * The CPU benchmark's Worker: `POST /setup` with `{keyring, tokens}` builds the app once; `POST
 * /run?from=&count=` sends that slice of the tokens through it (each token once, as first seen).
 * The caller times /run against /run with count 0, so only the verification is measured.
 */
const state: { app?: Hono<KeywardEnv>; tokens: string[] } = { tokens: [] };

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/setup") {
      const { keyring, tokens } = (await request.json()) as { keyring: string; tokens: string[] };
      state.app = verifiedApp(parseKeyring(keyring));
      state.tokens = tokens;
      return new Response("ready");
    }
    const from = Number(url.searchParams.get("from"));
    const count = Number(url.searchParams.get("count"));
    if (state.app === undefined) return new Response("no setup", { status: 409 });
    await runRequests(state.app, state.tokens.slice(from, from + count));
    return new Response("done");
  },
};
