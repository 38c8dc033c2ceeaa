import { createAuthorizerFromEnv } from "./wiring.ts";

/** The Lambda entry point. Everything is built and the keyring loaded during the init phase. */
export const handler = await createAuthorizerFromEnv(process.env);
