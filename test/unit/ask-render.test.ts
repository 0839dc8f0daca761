import { describe, expect, it } from 'vitest';
import askCommand, { askDeferPolicy, renderAnswer } from '../../commands/ask.js';
import askSettings from '../../commands/ask-settings.js';
import type { AskAnswer } from '../../src/ai/answer.js';
import { LIMITS } from '../../src/discord/render.js';

const answer = (over: Partial<AskAnswer> = {}): AskAnswer => ({
  by: 'claude',
  outcome: 'answered',
  title: 'From the book data',
  body: 'An answer.[1]',
  notes: ['[1] Chapter 5 (Matthias Wenke), Part II, p. 35'],
  remarks: [],
  sourceIds: ['chapter-5'],
  final: true,
  ...over,
});

const embedTotal = (embed: ReturnType<typeof renderAnswer>) => (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0);

describe('/ask rendering', () => {
  it('is private unless the member shares it', () => {
    expect(askDeferPolicy(null, 'Who writes about shame?')).toBe('ephemeral');
    expect(askDeferPolicy(false, 'Who writes about shame?')).toBe('ephemeral');
    expect(askDeferPolicy(true, 'Who writes about shame?')).toBe('public');
    // A personal question is never posted in the channel, even when sharing was asked for.
    expect(askDeferPolicy(true, 'I failed my client and I feel ashamed')).toBe('ephemeral');
  });

  it('quotes the question, then the answer, then the sources, and names where it comes from', () => {
    const embed = renderAnswer('Which chapter is about enactment?', answer());
    expect(embed.description).toBe('> Which chapter is about enactment?\n\nAn answer.[1]\n\n**Sources**\n[1] Chapter 5 (Matthias Wenke), Part II, p. 35');
    expect(embed.footer?.text).toMatch(/only your question was sent to Anthropic/);
    expect(renderAnswer('q', answer({ by: 'dataset' })).footer?.text).toMatch(/nothing was sent to Anthropic/);
  });

  it('never says nothing was sent to Anthropic when the question was sent and Claude failed to answer', () => {
    for (const outcome of ['timeout', 'unavailable', 'spend-cap', 'failed'] as const) {
      const footer = renderAnswer('q', answer({ by: 'dataset', outcome })).footer?.text ?? '';
      expect(footer, outcome).not.toMatch(/nothing was sent/);
      expect(footer, outcome).toMatch(/your question was sent to Anthropic/);
    }
    // Answered without a call at all: no key, a quota or budget reached before asking, or no call made (shutting down).
    for (const outcome of ['no-key', 'quota', 'budget', 'not-sent'] as const) {
      expect(renderAnswer('q', answer({ by: 'dataset', outcome })).footer?.text, outcome).toMatch(/nothing was sent to Anthropic/);
    }
  });

  it('stays inside Discord’s embed limits for the longest question and a huge answer, keeping every source line', () => {
    const notes = Array.from({ length: 30 }, (_, i) => `[${i + 1}] Chapter ${i + 1} (Someone With A Long Name), Part V, pp. 100-120`);
    const embed = renderAnswer('q'.repeat(500), answer({ body: 'word '.repeat(3000), notes, remarks: ['**Support:** ' + 's'.repeat(400)] }));
    expect(Array.from(embed.description ?? '').length).toBeLessThanOrEqual(LIMITS.embedDescription);
    expect(embedTotal(embed)).toBeLessThanOrEqual(LIMITS.embedTotal);
    expect(embed.description).toContain('…');
    expect(embed.description).toContain(notes.at(-1));
  });

  it('never renders an empty message while the answer is still starting', () => {
    const embed = renderAnswer('q', answer({ body: '', notes: [], final: false }));
    expect(embed.description?.trim().length).toBeGreaterThan(0);
  });

  it('defines /ask with a ≤500-character question and /ask-settings as a moderator command', () => {
    const question = askCommand.data.options?.find((option) => option.name === 'question') as { max_length?: number; required?: boolean } | undefined;
    expect(question).toMatchObject({ max_length: 500, required: true });
    expect(askCommand.data.description.length).toBeLessThanOrEqual(100);
    expect(askCommand.data.description).toMatch(/Anthropic/);
    expect(askSettings.access).toBe('moderator');
    expect(askSettings.data.default_member_permissions).toBe('32');
  });
});
