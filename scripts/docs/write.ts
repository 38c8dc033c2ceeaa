import { writeSettingsPage } from "./settings.ts";

// `npm run docs`: the generated parts of docs/ from their sources.
await writeSettingsPage();
