// The official openai npm package against pictor's /v1 endpoints: b64_json, url (then fetched),
// n, seeds, SSE streaming through the SDK's own stream parser, model listing, and the error
// classes the SDK maps statuses to. Settings: see common.mjs.
import OpenAI, { APIError, BadRequestError, NotFoundError } from 'openai';

import { base, check, checkPng, model, runSteps, size, steps } from './common.mjs';

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused-by-pictor', maxRetries: 0, timeout: 600_000 });
const prompt = 'a lighthouse on a rocky coast at dusk';

await runSteps('openai_images', [
  ['b64_json', async () => {
    // steps and seed are pictor's extension fields; the SDK passes unknown body fields through.
    const r = await client.images.generate({ model, prompt, size, steps, seed: 42 });
    check(Number.isInteger(r.created), 'created is unix seconds');
    check(r.data.length === 1, `one image, got ${r.data.length}`);
    check(r.data[0].seed === 42, `seed 42 reported, got ${r.data[0].seed}`);
    const { width, height } = checkPng(Buffer.from(r.data[0].b64_json, 'base64'), 'b64_json image');
    return `${width}x${height}`;
  }],
  ['url', async () => {
    const r = await client.images.generate({ model, prompt, size, steps, seed: 7, n: 2, response_format: 'url' });
    check(r.data.length === 2, `two images, got ${r.data.length}`);
    for (const [i, item] of r.data.entries()) {
      check(item.seed === 7 + i, `seed ${7 + i}, got ${item.seed}`);
      check(typeof item.url === 'string' && item.url.endsWith('.png'), `url: ${item.url}`);
      const res = await fetch(item.url);
      check(res.status === 200, `GET ${item.url}: ${res.status}`);
      check(res.headers.get('content-type') === 'image/png', `content-type ${res.headers.get('content-type')}`);
      checkPng(new Uint8Array(await res.arrayBuffer()), `image at ${item.url}`);
    }
    const gone = await fetch(r.data[0].url.replace(/[0-9a-f]{32}\.png$/, '0'.repeat(32) + '.png'));
    check(gone.status === 404, `unknown image id answers 404, got ${gone.status}`);
    return r.data.map((d) => d.url).join(' ');
  }],
  ['stream', async () => {
    // images.generate({stream: true}) returns the SDK's SSE Stream: it yields each event's JSON
    // data, and turns an event whose data has "error" into a thrown APIError.
    const stream = await client.images.generate({ model, prompt, size, steps, seed: 3, stream: true });
    let progress = 0, last = -1, done = null;
    for await (const ev of stream) {
      if ('step' in ev) {
        check(ev.total > 0 && ev.step >= last, `progress in order: ${JSON.stringify(ev)}`);
        last = ev.step;
        progress++;
      } else if ('data' in ev) {
        done = ev;
      }
    }
    check(progress > 0, 'at least one progress event');
    check(done && done.data.length === 1 && done.data[0].seed === 3, `done event: ${JSON.stringify(done)?.slice(0, 200)}`);
    checkPng(Buffer.from(done.data[0].b64_json, 'base64'), 'streamed image');
    return `${progress} progress events`;
  }],
  ['models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    const want = model.includes(':') ? model : `${model}:latest`;
    check(ids.includes(want), `${want} in /v1/models: ${ids.join(', ')}`);
    const one = await client.models.retrieve(want);
    check(one.id === want && one.object === 'model', `retrieve: ${JSON.stringify(one)}`);
    return ids.join(', ');
  }],
  ['unknown-model', async () => {
    try {
      await client.images.generate({ model: 'no-such-model', prompt, size });
    } catch (e) {
      check(e instanceof NotFoundError, `NotFoundError, got ${e?.constructor?.name}: ${e?.message}`);
      check(e.status === 404 && e.type === 'not_found_error', `status ${e.status} type ${e.type}`);
      check(e.message.includes("model 'no-such-model' not found"), `message: ${e.message}`);
      return e.message;
    }
    throw new Error('no error for an unknown model');
  }],
  ['bad-size', async () => {
    try {
      await client.images.generate({ model, prompt, size: '100x100' });
    } catch (e) {
      check(e instanceof BadRequestError, `BadRequestError, got ${e?.constructor?.name}: ${e?.message}`);
      check(e.status === 400 && e.type === 'invalid_request_error' && e.param === 'size',
            `status ${e.status} type ${e.type} param ${e.param}`);
      return e.message;
    }
    throw new Error('no error for size 100x100');
  }],
  ['bad-n', async () => {
    try {
      await client.images.generate({ model, prompt, size, n: 9 });
    } catch (e) {
      check(e instanceof BadRequestError && e.param === 'n', `BadRequestError on n, got ${e?.constructor?.name} ${e?.param}`);
      return e.message;
    }
    throw new Error('no error for n=9');
  }],
  ['edits', async () => {
    // The SDK sends edits as multipart/form-data; pictor answers 501 until editing exists.
    try {
      const png = await OpenAI.toFile(Buffer.from('not really a png'), 'in.png', { type: 'image/png' });
      await client.images.edit({ model, prompt, image: png });
    } catch (e) {
      check(e instanceof APIError && e.status === 501, `501, got ${e?.status}: ${e?.message}`);
      return e.message;
    }
    throw new Error('edits unexpectedly succeeded');
  }],
]);
