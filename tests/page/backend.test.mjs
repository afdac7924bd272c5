// Unit tests for www/backend.js: probing WebGPU and choosing the backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseBackend, probeWebGpu, requestedBackend } from '../../www/backend.js';

const gpuWith = (adapter) => ({ gpu: { requestAdapter: async () => adapter } });

test('probing WebGPU', async () => {
  assert.equal((await probeWebGpu({})).available, false);
  assert.equal((await probeWebGpu(gpuWith(null))).available, false);
  const failing = await probeWebGpu({ gpu: { requestAdapter: async () => { throw new Error('blocked'); } } });
  assert.equal(failing.available, false);
  assert.match(failing.reason, /blocked/);

  const hardware = await probeWebGpu(gpuWith({ info: { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false } }));
  assert.deepEqual(hardware, { available: true, fallback: false, description: 'nvidia ampere', reason: '' });
  // The flag lives on GPUAdapterInfo in new browsers, on GPUAdapter in older ones.
  assert.equal((await probeWebGpu(gpuWith({ info: { isFallbackAdapter: true } }))).fallback, true);
  assert.equal((await probeWebGpu(gpuWith({ isFallbackAdapter: true }))).fallback, true);
  assert.equal((await probeWebGpu(gpuWith({}))).fallback, false);
});

test('?backend= forces a backend', () => {
  assert.equal(requestedBackend('?backend=cpu'), 'cpu');
  assert.equal(requestedBackend('?x=1&backend=webgpu'), 'webgpu');
  assert.equal(requestedBackend('?backend=cuda'), null);
  assert.equal(requestedBackend(''), null);
});

test('choosing: hardware WebGPU by default, CPU otherwise; forcing wins where possible', () => {
  const hardware = { available: true, fallback: false, reason: '' };
  const software = { available: true, fallback: true, reason: 'the WebGPU adapter is a software fallback' };
  const none = { available: false, fallback: false, reason: 'this browser has no WebGPU' };
  assert.equal(chooseBackend({ requested: null, probe: hardware }).backend, 'webgpu');
  assert.equal(chooseBackend({ requested: null, probe: software }).backend, 'cpu');
  assert.equal(chooseBackend({ requested: null, probe: none }).backend, 'cpu');
  assert.match(chooseBackend({ requested: null, probe: none }).reason, /no WebGPU/);
  assert.equal(chooseBackend({ requested: 'cpu', probe: hardware }).backend, 'cpu');
  assert.equal(chooseBackend({ requested: 'webgpu', probe: software }).backend, 'webgpu', 'tests force SwiftShader');
  assert.equal(chooseBackend({ requested: 'webgpu', probe: none }).backend, 'cpu');
});
