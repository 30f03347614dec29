import assert from "node:assert/strict";
import {
  checkNewPassword,
  constantTimeEqual,
  hashPassword,
  hashSessionToken,
  newSessionToken,
  normaliseUsername,
  PBKDF2_ITERATIONS,
  ValidationError,
  verifyPassword,
} from "./auth.ts";

Deno.test("password hashes are salted PBKDF2-SHA256 with at least 600 000 iterations", async () => {
  assert.ok(PBKDF2_ITERATIONS >= 600_000);
  const a = await hashPassword("correct horse battery");
  const b = await hashPassword("correct horse battery");
  assert.match(a, /^pbkdf2-sha256\$600000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(a, b, "a fresh salt each time");
  assert.equal(await verifyPassword("correct horse battery", a), true);
  assert.equal(await verifyPassword("correct horse batterY", a), false);
  assert.equal(await verifyPassword("", a), false);
});

Deno.test("hashes keep their iteration count, so old hashes verify after a change", async () => {
  const cheap = await hashPassword("some password", 1000);
  assert.match(cheap, /^pbkdf2-sha256\$1000\$/);
  assert.equal(await verifyPassword("some password", cheap), true);
});

Deno.test("malformed stored hashes never verify", async () => {
  for (
    const bad of [
      "",
      "plain",
      "md5$1$a$b",
      "pbkdf2-sha256$0$AAAA$AAAA",
      "pbkdf2-sha256$abc$AAAA$AAAA",
      "pbkdf2-sha256$1000$!!!$???",
      "pbkdf2-sha256$99999999999$AAAA$AAAA",
    ]
  ) {
    assert.equal(await verifyPassword("anything at all", bad), false, bad);
  }
});

Deno.test("constantTimeEqual compares whole arrays", () => {
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])), false);
  assert.equal(constantTimeEqual(new Uint8Array(), new Uint8Array()), true);
});

Deno.test("usernames are trimmed, lower-cased and limited to 3–32 of [a-z0-9_.-]", () => {
  assert.equal(normaliseUsername("  Alice_B.C-9 "), "alice_b.c-9");
  assert.equal(normaliseUsername("abc"), "abc");
  assert.equal(normaliseUsername("a".repeat(32)), "a".repeat(32));
  for (const bad of ["ab", "a".repeat(33), "has space", "émile", "a/b", "", "   ", null, 42]) {
    assert.throws(() => normaliseUsername(bad), ValidationError, String(bad));
  }
});

Deno.test("new passwords need 10 to 1024 characters", () => {
  assert.equal(checkNewPassword("0123456789"), "0123456789");
  assert.throws(() => checkNewPassword("012345678"), /at least 10/);
  assert.throws(() => checkNewPassword(undefined), ValidationError);
  assert.throws(() => checkNewPassword("x".repeat(1025)), /at most 1024/);
});

Deno.test("session tokens carry 256 random bits and are stored as SHA-256", async () => {
  const tokens = new Set(Array.from({ length: 100 }, newSessionToken));
  assert.equal(tokens.size, 100);
  for (const t of tokens) assert.match(t, /^[A-Za-z0-9_-]{43}$/);
  const token = [...tokens][0];
  const hash = await hashSessionToken(token);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(await hashSessionToken(token), hash);
  assert.equal(
    await hashSessionToken("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
