import { handle } from "hono/aws-lambda";
import { createJwksAppFromEnv } from "./wiring.ts";

/** The Lambda entry point of the public JWKS (a Function URL without auth: public keys only). */
export const handler = handle(createJwksAppFromEnv(process.env));
