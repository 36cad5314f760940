// The official ollama npm package against pictor's native API: list, show, generate (streamed
// and not), ps, copy, delete, a 404 as ResponseError, and push/pull through a registry when
// PICTOR_REGISTRY names one. The package posts the request object
// as given, so the image fields (width, height, steps, options.seed) pass straight through, and
// its GenerateResponse type already has image/completed/total. Settings: see common.mjs.
import { Ollama } from 'ollama';

import { base, check, checkPng, model, registry, runSteps, size, steps } from './common.mjs';

const ollama = new Ollama({ host: base });
const [width, height] = size.split('x').map(Number);
const full = model.includes(':') ? model : `${model}:latest`;
const copyName = `${model.split(':')[0]}-npm-copy`;
const prompt = 'a red bicycle leaning against a brick wall';

await runSteps('ollama_client', [
  ['list', async () => {
    const r = await ollama.list();
    const names = r.models.map((m) => m.name);
    check(names.includes(full), `${full} listed: ${names.join(', ')}`);
    return names.join(', ');
  }],
  ['show', async () => {
    const r = await ollama.show({ model });
    check(Array.isArray(r.capabilities) && r.capabilities.includes('image'), `capabilities ${r.capabilities}`);
    check(r.details?.format === 'safetensors', `details.format ${r.details?.format}`);
    return `${r.details.family} ${r.details.parameter_size} ${r.details.quantization_level}`;
  }],
  ['show-missing', async () => {
    try {
      await ollama.show({ model: 'no-such-model' });
    } catch (e) {
      check(e.name === 'ResponseError' && e.status_code === 404, `ResponseError 404, got ${e.name} ${e.status_code}`);
      return e.error;
    }
    throw new Error('show of a missing model succeeded');
  }],
  ['generate', async () => {
    const r = await ollama.generate({ model, prompt, width, height, steps, options: { seed: 42 }, stream: false });
    check(r.done === true, `done: ${r.done}`);
    check(typeof r.image === 'string' && r.image.length > 0, 'final response carries image');
    const dims = checkPng(Buffer.from(r.image, 'base64'), 'generated image');
    return `${dims.width}x${dims.height}`;
  }],
  ['generate-stream', async () => {
    const parts = await ollama.generate({ model, prompt, width, height, steps, options: { seed: 43 }, stream: true });
    let frames = 0, image = null;
    for await (const part of parts) {
      frames++;
      if (part.done) image = part.image;
      else check(part.total > 0, `progress frame has total: ${JSON.stringify(part)}`);
    }
    check(image, `the last frame carries the image (${frames} frames)`);
    checkPng(Buffer.from(image, 'base64'), 'streamed image');
    return `${frames} frames`;
  }],
  ['ps', async () => {
    const r = await ollama.ps();
    const names = r.models.map((m) => m.name);
    check(names.includes(full), `${full} loaded after generate: ${names.join(', ')}`);
    return names.join(', ');
  }],
  ['copy', async () => {
    await ollama.copy({ source: model, destination: copyName });
    const names = (await ollama.list()).models.map((m) => m.name);
    check(names.includes(`${copyName}:latest`), `copy listed: ${names.join(', ')}`);
  }],
  ['delete', async () => {
    await ollama.delete({ model: copyName });
    const names = (await ollama.list()).models.map((m) => m.name);
    check(!names.includes(`${copyName}:latest`), `copy gone: ${names.join(', ')}`);
    check(names.includes(full), `original kept: ${names.join(', ')}`);
  }],
  ['push', async () => {
    if (!registry) return 'skipped: no PICTOR_REGISTRY';
    const remote = `${registry}/me/npm-dev`;
    await ollama.copy({ source: model, destination: remote });
    const statuses = [];
    let last = null;
    for await (const part of await ollama.push({ model: remote, insecure: true, stream: true })) {
      if (statuses.at(-1) !== part.status) statuses.push(part.status);
      if (part.status === 'pushing model') last = part;
    }
    check(statuses.at(-1) === 'success', `push ends in success: ${statuses.join(', ')}`);
    check(last && last.digest === 'sha256:model' && last.completed === last.total, `bar: ${JSON.stringify(last)}`);
    await ollama.delete({ model: remote });
    return statuses.join(', ');
  }],
  ['pull', async () => {
    if (!registry) return 'skipped: no PICTOR_REGISTRY';
    const remote = `${registry}/me/npm-dev`;
    const r = await ollama.pull({ model: remote, insecure: true, stream: false });
    check(r.status === 'success', `pull answered ${JSON.stringify(r)}`);
    const names = (await ollama.list()).models.map((m) => m.name);
    check(names.includes(`${remote}:latest`), `pulled model listed: ${names.join(', ')}`);
    try {
      await ollama.pull({ model: `${registry}/me/absent`, insecure: true, stream: false });
      throw new Error('pull of a missing model succeeded');
    } catch (e) {
      check(e.name === 'ResponseError' && e.status_code === 404, `ResponseError 404, got ${e.name} ${e.status_code}`);
    }
    await ollama.delete({ model: remote });
  }],
]);
