/** The security headers and the CSP nonce plumbing. */
import assert from "node:assert/strict";
import {
  admitInlineStyles,
  contentSecurityPolicy,
  currentCsp,
  newCspContext,
  securityHeaders,
  withCsp,
} from "./security.ts";

const context = (styles: string[], attributes: string[] = []) => ({
  styleHashes: new Set(styles),
  styleAttributeHashes: new Set(attributes),
});

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

Deno.test("the policy allows no inline script and only hashed inline styles", () => {
  const policy = directives(contentSecurityPolicy(context(["abc="])));
  assert.deepEqual(policy.get("script-src"), ["'self'"]);
  assert.deepEqual(policy.get("style-src"), ["'self'", "'sha256-abc='"]);
  assert.deepEqual(policy.get("object-src"), ["'none'"]);
  assert.deepEqual(policy.get("frame-ancestors"), ["'none'"]);
  assert.deepEqual(policy.get("base-uri"), ["'none'"]);
  assert.deepEqual(policy.get("media-src"), ["'self'", "blob:"]);
  for (const values of policy.values()) {
    assert.ok(!values.includes("'unsafe-inline'") && !values.includes("'unsafe-eval'"));
  }
  assert.deepEqual(directives(contentSecurityPolicy(null)).get("style-src"), ["'self'"]);
  assert.deepEqual(
    directives(contentSecurityPolicy(context(["S="], ["AAA=", "BBB="]))).get("style-src"),
    ["'self'", "'sha256-S='", "'unsafe-hashes'", "'sha256-AAA='", "'sha256-BBB='"],
  );
});

Deno.test("security headers name every protection", () => {
  const headers = securityHeaders(context(["n0="]));
  assert.equal(headers["permissions-policy"], "microphone=(self), camera=(), geolocation=()");
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "same-origin");
  assert.equal(headers["x-frame-options"], "DENY");
  assert.match(headers["content-security-policy"], /'sha256-n0='/);
});

Deno.test("contexts are fresh, scoped to their run and survive awaits", async () => {
  const a = newCspContext(), b = newCspContext();
  assert.notEqual(a, b);
  assert.equal(currentCsp(), null);
  const seen = await Promise.all([a, b].map((ctx) =>
    withCsp(ctx, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return currentCsp();
    })
  ));
  assert.equal(seen[0], a);
  assert.equal(seen[1], b);
  assert.equal(currentCsp(), null);
});

Deno.test("style elements and attributes are hashed as the browser reads them", async () => {
  const html = `<head><style data-twind>a{}</style><style>b{}</style></head>` +
    `<body><p>&lt;style&gt; style="x"</p><stylex></stylex>` +
    `<div class="a" style="width:0%;"></div><i style="content:&quot;&amp;&quot;"></i></body>`;
  const ctx = newCspContext();
  await admitInlineStyles(html, ctx);
  // Reference values: `printf %s 'a{}' | openssl dgst -sha256 -binary | base64`, and so on.
  assert.deepEqual([...ctx.styleHashes], [
    "X1RutGBrXCt9KkSaXMK7tHftWiRscFHOhxsS8tv8hBk=",
    "7yqHVAesot11p6HczDsgKRipvI5UPgs97z80zNXlans=",
  ]);
  assert.deepEqual([...ctx.styleAttributeHashes], [
    "OnQJ+WJTy68Tr6CkFyVvUukBBDAKfVxYuXQSzn+4D+Q=",
    "rCnnIL4izAFGhdK4Vi+S3MrOOMx9xsnx7ctxV4DakMQ=",
  ]);
  await admitInlineStyles(html, null);
});
