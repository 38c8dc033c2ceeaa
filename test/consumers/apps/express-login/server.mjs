// A team's Express login service: after its own password check, it signs the token through
// keyward/issuer with the deployment's keyring (Secrets Manager, the standard AWS variables).
import express from "express";
import { createIssuer } from "keyward/issuer";

const issuer = createIssuer({ keyring: { secretPrefix: process.env.KEYWARD_SECRET_PREFIX } });
const app = express();
app.use(express.json());
app.post("/login", async (req, res) => {
  if (req.body?.password !== "correct horse")
    return res.status(401).json({ error: "bad password" });
  const { token, expiresAt } = await issuer.issue({ sub: req.body.user });
  res.json({ token, expiresAt });
});
const server = app.listen(0, "127.0.0.1", () => console.log(server.address().port));
