// Shared settings of the client scripts, all from the environment so that the same scripts run
// against the test server of clients_test.cpp or a pictor started by hand:
//   PICTOR_URL    base URL of the server (default http://127.0.0.1:11434)
//   PICTOR_MODEL  an image model on that server (default dev)
//   PICTOR_SIZE   WxH of generated images (default 64x64: the scripts check plumbing, not art)
//   PICTOR_STEPS  denoising steps (default 2)
//   PICTOR_EXPECT_SIZE  if set ("WxH"), every PNG must have exactly this size
//   PICTOR_REGISTRY     if set (host:port of a plain-http Docker registry), push and pull run too
export const base = (process.env.PICTOR_URL ?? 'http://127.0.0.1:11434').replace(/\/$/, '');
export const model = process.env.PICTOR_MODEL ?? 'dev';
export const size = process.env.PICTOR_SIZE ?? '64x64';
export const steps = Number(process.env.PICTOR_STEPS ?? '2');
export const registry = process.env.PICTOR_REGISTRY ?? '';
const expectSize = process.env.PICTOR_EXPECT_SIZE;

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

// A PNG's signature and IHDR size; checks PICTOR_EXPECT_SIZE when given.
export function checkPng(bytes, what) {
  const b = Buffer.from(bytes);
  check(b.length > 24 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
        `${what}: not a PNG (${b.length} bytes)`);
  const w = b.readUInt32BE(16), h = b.readUInt32BE(20);
  if (expectSize) check(`${w}x${h}` === expectSize, `${what}: PNG is ${w}x${h}, expected ${expectSize}`);
  return { width: w, height: h };
}

// Runs the steps in order, prints one line per step, exits 1 at the first failure.
export async function runSteps(name, steps) {
  const only = process.env.PICTOR_ONLY ? new Set(process.env.PICTOR_ONLY.split(',')) : null;
  for (const [label, fn] of steps) {
    if (only && !only.has(label)) continue;
    try {
      const note = await fn();
      console.log(`ok   ${name} ${label}${note ? `: ${note}` : ''}`);
    } catch (e) {
      console.log(`FAIL ${name} ${label}: ${e?.stack ?? e}`);
      process.exit(1);
    }
  }
  console.log(`PASS ${name}`);
}
