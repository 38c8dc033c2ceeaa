import { createRotationFromEnv } from "./wiring.ts";

/** EventBridge scheduled event in, one tick per keyring, their outcomes out (and in the logs). */
export const handler = await createRotationFromEnv(process.env);
