import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StoreUnavailable } from "../kernel/errors.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { KeyringName } from "../keyring/names.ts";
import { parseKeyring, serializeKeyring } from "../keyring/serialize.ts";
import { withoutDestroyedMaterial } from "./memory.ts";
import { assertValid, type KeyringStore, storedVersion, succession } from "./store.ts";

const LOCK_STALE_MS = 30_000;

/** Where the local stack keeps a keyring in its folder (`.keyward/` by default). */
export function localKeyringPath(dir: string, keyring: KeyringName): string {
  return join(dir, keyring === "signing" ? "keyring.json" : `${keyring}-keyring.json`);
}
const LOCK_WAIT_MS = 5_000;

/**
 * The keyring in a file (the local stack): `keyring.json` and the recovery floor
 * `keyring.prev.json` beside it, both mode 0600. Each write goes to a temporary file that is
 * renamed into place, so readers see the old or the new keyring, never half of one; a lock file
 * serializes writers across processes.
 */
export class FileKeyringStore implements KeyringStore {
  readonly #previousPath: string;
  readonly #lockPath: string;

  constructor(private readonly path: string) {
    this.#previousPath = path.replace(/(\.json)?$/, ".prev.json");
    this.#lockPath = `${path}.lock`;
  }

  async load(): Promise<Keyring | undefined> {
    return readKeyring(this.path);
  }

  async loadPrevious(): Promise<Keyring | undefined> {
    return readKeyring(this.#previousPath);
  }

  async save(next: Keyring): Promise<void> {
    assertValid(next);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await this.#locked(async () => {
      const currentText = await readText(this.path);
      const stored =
        currentText === undefined ? undefined : storedVersion(parseKeyring(currentText));
      if (succession(stored, storedVersion(next)) === "already-stored") return;
      if (currentText !== undefined) {
        await writeAtomically(this.#previousPath, withoutDestroyedMaterial(currentText, next));
      }
      await writeAtomically(this.path, serializeKeyring(next));
    });
  }

  async #locked(work: () => Promise<void>): Promise<void> {
    const started = Date.now();
    for (;;) {
      try {
        const handle = await open(this.#lockPath, "wx", 0o600);
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const age = await stat(this.#lockPath).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > LOCK_STALE_MS) await rm(this.#lockPath, { force: true });
        else if (Date.now() - started > LOCK_WAIT_MS) {
          throw new StoreUnavailable(
            `keyring file is locked by another writer (${this.#lockPath})`,
          );
        } else await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    try {
      await work();
    } finally {
      await rm(this.#lockPath, { force: true });
    }
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function readKeyring(path: string): Promise<Keyring | undefined> {
  const text = await readText(path);
  return text === undefined ? undefined : parseKeyring(text);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const handle = await open(temporary, "w", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
