/**
 * Checks statically that the code the server imports runs on Deno Deploy: walks the
 * module graph from `main.ts` (`deno info --json`) and scans every local module for APIs
 * Deploy lacks — file writes, subprocesses, FFI, a KV path, listening sockets, `chdir`,
 * and workers or signal listeners that nothing guards.
 *
 * A use counts as guarded when a block around it opens with a `try`, a `Deno.build` or
 * `Deno.env.get` test or a condition naming Deploy (`onDeploy`, `DENO_DEPLOYMENT_ID`), or
 * when the same line starts with such an `if`; a worker also counts as guarded in a module
 * that checks `typeof Worker` first. File writes, subprocesses and FFI are not excused by
 * a `try`, only by a Deploy condition. A line that must stay as it is can be excused with
 * `// deploy-check-ignore: <why>` on it or on the line above (the reason is required), and
 * {@link KNOWN_UNUSED} lists the uses in shared modules that the server never calls.
 * Comments and string contents are ignored, so prose naming an API is fine.
 *
 * Usage: deno run --allow-read --allow-run scripts/deploy_check.ts [entry.ts]
 * Prints `file:line: reason` per finding and exits 1, or `deploy-check: ok (N modules)`.
 */
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** One use of an API that Deno Deploy lacks. */
export interface Finding {
  /** The module's path. */
  file: string;
  /** 1-based line number. */
  line: number;
  reason: string;
}

/** How a rule may be excused. */
type Excuse = "deploy" | "deploy-or-try";

interface Rule {
  pattern: RegExp;
  reason: string;
  excuse: Excuse;
}

const WRITES = [
  "writeFile",
  "writeTextFile",
  "mkdir",
  "remove",
  "rename",
  "create",
  "makeTempDir",
  "makeTempFile",
  "truncate",
  "copyFile",
  "symlink",
  "link",
  "chmod",
  "chown",
  "utime",
];

/** Rules applied to code with comments and string contents blanked out. */
const RULES: Rule[] = [
  {
    pattern: new RegExp(`\\bDeno\\.(${WRITES.join("|")})(Sync)?\\s*\\(`),
    reason: "writes to the file system (read-only on Deploy)",
    excuse: "deploy",
  },
  {
    pattern: /\bDeno\.(Command|run)\b/,
    reason: "starts a subprocess (not available on Deploy)",
    excuse: "deploy",
  },
  {
    pattern: /\bDeno\.dlopen\s*\(/,
    reason: "loads a native library (no FFI on Deploy)",
    excuse: "deploy",
  },
  {
    pattern: /\bDeno\.(listen|listenTls|listenDatagram)\s*\(/,
    reason: "opens a raw listening socket (Deploy serves only through Deno.serve)",
    excuse: "deploy",
  },
  { pattern: /\bDeno\.chdir\s*\(/, reason: "changes the working directory", excuse: "deploy" },
  {
    pattern: /\bnew\s+Worker\s*\(/,
    reason: "starts a worker without a guard (workers are not available on Deploy)",
    excuse: "deploy-or-try",
  },
  {
    pattern: /\bDeno\.addSignalListener\s*\(/,
    reason: "listens for a signal without a guard (Deploy has no signals)",
    excuse: "deploy-or-try",
  },
];

/**
 * Uses in modules the server imports for other functions, in code the server never runs:
 * path relative to the repository root, the API as reported, and why it is safe.
 */
export const KNOWN_UNUSED: readonly { file: string; api: string; why: string }[] = [
  ...["Deno.mkdir", "Deno.writeFile", "Deno.writeTextFile"].map((api) => ({
    file: "lib/model/fs_io.ts",
    api,
    why: "fileSystemSaveHandler saves trained models; only lib/train calls it, the server loads",
  })),
];

const OPEN_CALL = /\bDeno\.open(Sync)?\s*\(/;
const OPEN_WRITES = /\b(write|append|create|createNew|truncate)\s*:\s*true\b/;
const KV_CALL = /\bDeno\.openKv\s*\(\s*/;
const DEPLOY_GUARD = /\bDeno\.build\b|\bDeno\.env\.get\b|DENO_DEPLOYMENT_ID|\b\w*[dD]eploy\w*\b/;
const TRY = /\btry\s*\{/;
const IGNORE = /\/\/\s*deploy-check-ignore:\s*\S/;

/**
 * `source` with comments and the contents of strings, template text and regular
 * expressions replaced by spaces, so that line and column numbers stay the same.
 */
export function blankOutText(source: string): string {
  const out = source.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  // Brace depth at which each open template literal's `${` started.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  let lastSignificant = "";
  const n = source.length;
  const scanTemplate = () => {
    // From inside template text to its end or to a `${`.
    const start = i;
    while (i < n) {
      if (source[i] === "\\") i += 2;
      else if (source[i] === "`") {
        blank(start, i);
        i++;
        lastSignificant = "`";
        return;
      } else if (source[i] === "$" && source[i + 1] === "{") {
        blank(start, i);
        templates.push(depth);
        depth++;
        i += 2;
        lastSignificant = "{";
        return;
      } else i++;
    }
    blank(start, n);
  };
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      blank(i, end === -1 ? n : end);
      i = end === -1 ? n : end;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      blank(i, end === -1 ? n : end + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
      lastSignificant = c;
    } else if (c === "`") {
      i++;
      scanTemplate();
    } else if (
      c === "/" && (lastSignificant === "" || "(,=:[!&|?{};+-*%<>~^".includes(lastSignificant))
    ) {
      // A regular expression literal.
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        else if (source[j] === "/" && !inClass) break;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      lastSignificant = "/";
    } else {
      if (c === "{") depth++;
      else if (c === "}") {
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          i++;
          scanTemplate();
          continue;
        }
      }
      if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? "a" : c;
      i++;
    }
  }
  return out.join("");
}

/** The lines (0-based) whose `{` opens a block around `offset` in blanked `code`. */
function enclosingOpeners(code: string, offset: number): number[] {
  const lines: number[] = [];
  let balance = 0;
  for (let k = offset - 1; k >= 0; k--) {
    const c = code[k];
    if (c === "}") balance++;
    else if (c === "{") {
      if (balance === 0) lines.push(code.slice(0, k).split("\n").length - 1);
      else balance--;
    }
  }
  return lines;
}

function isGuarded(
  codeLines: string[],
  code: string,
  offset: number,
  lineIndex: number,
  excuse: Excuse,
): boolean {
  const condition = (text: string) => /\b(if|while)\s*\(/.test(text) && DEPLOY_GUARD.test(text);
  const before = codeLines[lineIndex].slice(0, offset - lineStart(code, offset));
  if (condition(before)) return true;
  for (const opener of enclosingOpeners(code, offset)) {
    if (excuse === "deploy-or-try" && TRY.test(codeLines[opener])) return true;
    // A condition may start a line or two above its `{`.
    const text = codeLines.slice(Math.max(0, opener - 2), opener + 1).join("\n");
    if (/\)\s*\{\s*$/.test(codeLines[opener]) && condition(text)) return true;
  }
  return false;
}

function lineStart(code: string, offset: number): number {
  return code.lastIndexOf("\n", offset - 1) + 1;
}

/** The findings in one module's `source`, reported under the name `file`. */
export function scanSource(file: string, source: string): Finding[] {
  const code = blankOutText(source);
  const codeLines = code.split("\n");
  const rawLines = source.split("\n");
  const findings: Finding[] = [];
  const offsets: number[] = [];
  let total = 0;
  for (const line of codeLines) {
    offsets.push(total);
    total += line.length + 1;
  }
  const checksWorker = /\btypeof\s+Worker\b/.test(code);
  const ignored = (index: number) =>
    IGNORE.test(rawLines[index]) || (index > 0 && IGNORE.test(rawLines[index - 1]));
  codeLines.forEach((line, index) => {
    if (ignored(index)) return;
    const report = (reason: string) => findings.push({ file, line: index + 1, reason });
    for (const rule of RULES) {
      const match = rule.pattern.exec(line);
      if (!match) continue;
      if (checksWorker && rule.pattern.source.includes("Worker")) continue;
      if (isGuarded(codeLines, code, offsets[index] + match.index, index, rule.excuse)) continue;
      report(`${match[0].replace(/\s*\($/, "")}: ${rule.reason}`);
    }
    const open = OPEN_CALL.exec(line);
    if (open) {
      const call = codeLines.slice(index, index + 4).join("\n");
      if (
        OPEN_WRITES.test(call) &&
        !isGuarded(codeLines, code, offsets[index] + open.index, index, "deploy")
      ) {
        report("Deno.open for writing: writes to the file system (read-only on Deploy)");
      }
    }
    const kv = KV_CALL.exec(line);
    // The call is code (found in the blanked line); its argument is read from the source.
    if (kv && /^["'`]/.test(rawLines[index].slice(kv.index + kv[0].length))) {
      report("Deno.openKv with a literal path: Deploy's store is opened without one");
    }
  });
  return findings;
}

/** The local modules (`file:` URLs) in the graph of `entry`, from `deno info --json`. */
export async function localModules(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno info ${entry} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string; error?: string }[];
  };
  const broken = info.modules.find((m) => m.error);
  if (broken) throw new Error(`${broken.specifier}: ${broken.error}`);
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith("file:")).sort();
}

/** Scans the graph of `entry`; file names in findings are relative to `base`. */
export async function deployCheck(
  entry: string,
  base: string = Deno.cwd(),
): Promise<{ modules: number; findings: Finding[] }> {
  const modules = await localModules(entry);
  const findings: Finding[] = [];
  const root = fromFileUrl(new URL("../", import.meta.url));
  for (const url of modules) {
    const path = fromFileUrl(url);
    if (!/\.(m?[jt]sx?)$/.test(path)) continue;
    const known = KNOWN_UNUSED.filter((k) => k.file === relative(root, path));
    for (const finding of scanSource(relative(base, path), await Deno.readTextFile(path))) {
      if (!known.some((k) => finding.reason.startsWith(`${k.api}:`))) findings.push(finding);
    }
  }
  return { modules: modules.length, findings };
}

if (import.meta.main) {
  const entry = Deno.args[0] ?? fromFileUrl(new URL("../main.ts", import.meta.url));
  try {
    const { modules, findings } = await deployCheck(entry);
    for (const f of findings) console.log(`${f.file}:${f.line}: ${f.reason}`);
    if (findings.length > 0) {
      console.error(`deploy-check: ${findings.length} problem(s) in ${modules} modules`);
      Deno.exit(1);
    }
    console.log(`deploy-check: ok (${modules} modules)`);
  } catch (err) {
    console.error(`deploy-check: ${(err as Error).message}`);
    Deno.exit(2);
  }
}
