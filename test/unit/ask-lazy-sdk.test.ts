import { describe, expect, it, vi } from 'vitest';
import { createAnthropicClient } from '../../src/ai/client.js';
import { testConfig } from '../helpers/ask-setup.js';
import { capturedLogger } from '../helpers/logs.js';

// Counts how often the SDK's index is loaded: without a key, never (it costs ~200 ms and several MB at start).
const loaded = vi.hoisted(() => ({ count: 0 }));
vi.mock('@anthropic-ai/sdk', async (importOriginal) => {
  loaded.count++;
  return importOriginal();
});

describe('the Anthropic SDK is loaded only with a key', () => {
  it('the whole app (every command, /ask included) loads without it, and a key loads it once', async () => {
    await import('../../src/app.js');
    const { log } = capturedLogger('silent');
    expect(await createAnthropicClient(testConfig({}), log)).toBeUndefined();
    expect(loaded.count).toBe(0);
    const client = await createAnthropicClient(testConfig({ ANTHROPIC_API_KEY: 'sk-ant-test-1', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }), log);
    expect(client?.baseURL).toBe('http://127.0.0.1:9');
    expect(loaded.count).toBe(1);
  });
});
