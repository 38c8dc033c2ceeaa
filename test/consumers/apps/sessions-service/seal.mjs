// A service holding sessions, tried against the local stack (npm start): the sessions keyring
// from its folder, the key rules from Upstash.
import { createSessions } from "keyward/sessions";

const sessions = createSessions({
  keyring: { localDir: process.env.KEYWARD_LOCAL_DIR },
  upstash: { url: process.env.UPSTASH_REDIS_REST_URL, token: process.env.UPSTASH_REDIS_REST_TOKEN },
});
const cookie = await sessions.seal(JSON.stringify({ cart: 3 }), {
  aad: "session-1",
  expiresAt: new Date(Date.now() + 3_600_000),
});
const opened = await sessions.open(cookie, { aad: "session-1" });
console.log(
  JSON.stringify({
    ok: opened.ok,
    data: opened.ok ? JSON.parse(new TextDecoder().decode(opened.plaintext)) : null,
  }),
);
await sessions.flush();
