// The login service of docs/migrating-express.md, after the migration: Express, signing through
// keyward/issuer instead of jsonwebtoken and JWT_SECRET. Run by
// test/integration/docs/express-guide.test.ts against Secrets Manager (moto).
import express from "express";
import { createIssuer, IssuerUnavailable } from "keyward/issuer";

const issuer = createIssuer({
  keyring: { secretPrefix: process.env.KEYWARD_SECRET_PREFIX },
  lifetimeSeconds: 3600, // what jwt.sign(..., { expiresIn: "1h" }) said before
});

const app = express();
app.use(express.json());

app.post("/login", async (req, res) => {
  const user = await checkPassword(req.body?.username, req.body?.password);
  if (user === undefined) return res.status(401).json({ error: "wrong username or password" });
  try {
    // Before: const token = jwt.sign({ sub: user.id, role: user.role }, process.env.JWT_SECRET, { expiresIn: "1h" });
    const { token, expiresAt } = await issuer.issue({ sub: user.id, claims: { role: user.role } });
    res.json({ token, expiresAt });
  } catch (error) {
    // No keyring to sign with (Secrets Manager unreachable past the stale bound): try again later.
    if (error instanceof IssuerUnavailable) return res.status(503).json({ error: "try again" });
    throw error;
  }
});

/** Stands in for the service's own user check. */
async function checkPassword(username, password) {
  return username === "alice" && password === "correct horse"
    ? { id: "user-1", role: "user" }
    : undefined;
}

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
