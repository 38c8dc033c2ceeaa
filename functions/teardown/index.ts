import { createTeardownFromEnv } from "./wiring.ts";

/** The custom resource behind `removalPolicy: DESTROY` (CDK's Provider framework calls it). */
export const handler = createTeardownFromEnv(process.env);
