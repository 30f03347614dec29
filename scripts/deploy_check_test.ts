/**
 * `scripts/deploy_check.ts` on the real module graph (which must pass) and on a folder
 * whose entry imports one module full of APIs Deploy lacks, one that uses them safely and
 * one that only names them in prose and strings.
 */
import assert from "node:assert/strict";
import { blankOutText, scanSource } from "./deploy_check.ts";

const SCRIPT = new URL("./deploy_check.ts", import.meta.url).pathname;

async function run(args: string[], cwd?: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", SCRIPT, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test("the server's own module graph passes", async () => {
  const { code, stdout, stderr } = await run([]);
  assert.equal(code, 0, stdout + stderr);
  const modules = Number(stdout.match(/^deploy-check: ok \((\d+) modules\)$/m)?.[1]);
  assert.ok(modules > 50, stdout);
});

const BAD = `import "./fine.ts";
await Deno.writeTextFile("out.txt", "x");
const p = new Deno.Command("ls").spawn();
const lib = Deno.dlopen("libm.so", {});
const kv = await Deno.openKv("data/local.kv");
const listener = Deno.listen({ port: 9 });
const w = new Worker(new URL("./w.ts", import.meta.url), { type: "module" });
Deno.chdir("/tmp");
Deno.addSignalListener("SIGTERM", () => {});
const f = await Deno.open("log.txt", {
  append: true,
});
try {
  await Deno.mkdir("cache");
} catch {
  // a try does not excuse a write
}
`;

const FINE = `/**
 * Prose may name Deno.writeTextFile(...) and new Worker(...) freely.
 */
export const help = "call Deno.remove(path) or Deno.openKv('x') yourself";
export const re = /Deno\\.mkdir\\(/;
export const t = \`Deno.chdir(\${"x"}) is only text\`;
const onDeploy = Boolean(Deno.env.get("DENO_DEPLOYMENT_ID"));
if (!onDeploy) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {});
  }
  await Deno.mkdir("data", { recursive: true });
}
try {
  new Worker(new URL("./w.ts", import.meta.url), { type: "module" });
} catch {
  // no workers here
}
if (Deno.build.os !== "windows") Deno.addSignalListener("SIGHUP", () => {});
const kv = await Deno.openKv(Deno.env.get("DENO_KV_PATH"));
const file = await Deno.open(new URL(import.meta.url));
// deploy-check-ignore: a local tool's cache, never reached on Deploy
await Deno.writeFile("cache.bin", new Uint8Array());
`;

Deno.test("a module using APIs Deploy lacks fails, naming each line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, `import "./bad.ts";\n`);
    await Deno.writeTextFile(`${dir}/bad.ts`, BAD);
    await Deno.writeTextFile(`${dir}/fine.ts`, FINE);
    await Deno.writeTextFile(`${dir}/unused.ts`, `await Deno.writeTextFile("x", "y");\n`);
    const { code, stdout, stderr } = await run([`${dir}/main.ts`], dir);
    assert.equal(code, 1, stdout + stderr);
    const lines = stdout.trim().split("\n");
    assert.deepEqual(lines.map((l) => l.split(": ")[0]), [
      "bad.ts:2",
      "bad.ts:3",
      "bad.ts:4",
      "bad.ts:5",
      "bad.ts:6",
      "bad.ts:7",
      "bad.ts:8",
      "bad.ts:9",
      "bad.ts:10",
      "bad.ts:14",
    ]);
    assert.match(lines[0], /Deno\.writeTextFile: writes to the file system/);
    assert.match(lines[3], /Deno\.openKv with a literal path/);
    assert.match(lines[7], /Deno\.addSignalListener: listens for a signal without a guard/);
    assert.match(lines[8], /Deno\.open for writing/);
    assert.match(stderr, /deploy-check: 10 problem\(s\) in 3 modules/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("comments, strings, templates and regular expressions are blanked, lines kept", () => {
  const source =
    `const a = "Deno.chdir(x)"; // Deno.run(\nconst b = /"/; const c = \`\${Deno.cwd()} Deno.chdir(\`;\n/* Deno.dlopen( */ Deno.exit();`;
  const code = blankOutText(source);
  assert.equal(code.length, source.length);
  assert.deepEqual(code.split("\n").length, source.split("\n").length);
  assert.doesNotMatch(code, /chdir|Deno\.run|dlopen/);
  assert.match(code, /\$\{Deno\.cwd\(\)\}/, "code inside a template is kept");
  assert.match(code, /Deno\.exit\(\);$/);
});

Deno.test("an unguarded signal listener is reported, a guarded one is not", () => {
  const unguarded = `Deno.addSignalListener("SIGTERM", stop);\n`;
  assert.equal(scanSource("m.ts", unguarded).length, 1);
  const guarded = `if (!config.onDeploy) {\n  Deno.addSignalListener("SIGTERM", stop);\n}\n`;
  assert.deepEqual(scanSource("m.ts", guarded), []);
  const elsewhere = `if (ready) {\n  Deno.addSignalListener("SIGTERM", stop);\n}\n`;
  assert.equal(scanSource("m.ts", elsewhere).length, 1, "any condition is not a guard");
  const named = `function deployHelper() {\n  Deno.addSignalListener("SIGTERM", stop);\n}\n`;
  assert.equal(scanSource("m.ts", named).length, 1, "a name alone is not a guard");
});
