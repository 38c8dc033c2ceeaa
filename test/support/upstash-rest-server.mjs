// The Upstash REST protocol in front of a local Redis, for the tests and benchmarks: the app of
// @humanwhocodes/upstash-redis-server, served on 127.0.0.1 only (its own script listens on every
// interface). Several credentials may share the server, each mapped to its own Redis URL (a Redis
// ACL user), as Upstash's ACL REST tokens map to ACL users: `URS_TOKENS` is a JSON object of
// token → Redis URL. Prints nothing secret.
import { serve } from "@hono/node-server";
import { createApp } from "@humanwhocodes/upstash-redis-server";

const tokens = JSON.parse(process.env.URS_TOKENS ?? "{}");
const port = Number(process.env.PORT);
const apps = new Map(
  Object.entries(tokens).map(([token, redisUrl]) => [token, createApp({ token, redisUrl })]),
);

function unauthorized() {
  return new Response(JSON.stringify({ error: "Unauthorized" }), {
    status: 401,
    headers: { "content-type": "application/json" },
  });
}

serve(
  {
    hostname: "127.0.0.1",
    port,
    fetch(request) {
      const match = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
      const app = match === null ? undefined : apps.get(match[1]);
      return app === undefined ? unauthorized() : app.fetch(request);
    },
  },
  (info) => console.log(`upstash REST server on 127.0.0.1:${info.port}`),
);
