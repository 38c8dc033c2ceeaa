import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A TCP socket in LISTEN state, by the address it is bound to. */
export interface Listening {
  readonly pid: number;
  readonly address: string;
  readonly port: number;
}

/** `/proc/net/tcp{,6}`'s address field (little-endian hex) as text. */
function addressOf(hex: string, v6: boolean): string {
  if (!v6) {
    const bytes = hex.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? [];
    return bytes.reverse().join(".");
  }
  const words = hex.match(/.{8}/g) ?? [];
  const groups = words.flatMap((word) => {
    const bytes = (word.match(/../g) ?? []).reverse().join("");
    return [bytes.slice(0, 4), bytes.slice(4, 8)];
  });
  return groups.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}

/** The sockets each of `pids` listens on (Linux `/proc`), with the address each is bound to. */
export function listeningSockets(pids: readonly number[]): Listening[] {
  const inodes = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined) inodes.set(inode, pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  const found: Listening[] = [];
  for (const [file, v6] of [
    ["/proc/net/tcp", false],
    ["/proc/net/tcp6", true],
  ] as const) {
    let table = "";
    try {
      table = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of table.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A") continue;
      const pid = inodes.get(fields[9] as string);
      if (pid === undefined) continue;
      const [hex, port] = (fields[1] as string).split(":") as [string, string];
      found.push({ pid, address: addressOf(hex, v6), port: Number.parseInt(port, 16) });
    }
  }
  return found;
}

/** The process and every process below it, from `/proc/<pid>/stat`'s parent field. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), parent);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}
