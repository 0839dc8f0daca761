import type { Anthropic } from '@anthropic-ai/sdk';
// The error class only: importing the SDK's index would load all of it at start, key or not (see client.ts).
import { APIConnectionError } from '@anthropic-ai/sdk/core/error';
import type { MessageCreateParamsBase, RawMessageStreamEvent, TextCitation, Usage } from '@anthropic-ai/sdk/resources/messages/messages';
import type { BookDocument } from './document.js';
import { SYSTEM_PROMPT, userQuestion } from './prompt.js';
import type { TokenUsage } from './usage-repo.js';

/** One text block of Claude's reply and the document blocks it cites (content-block citations only). */
export interface ReplySpan {
  text: string;
  citations: { start: number; end: number }[];
}

export interface ClaudeReply {
  spans: ReplySpan[];
  stopReason: string | null;
  usage: TokenUsage;
}

/**
 * The request: the system prompt, then one user turn holding the book document first (so it can be a
 * cached prefix) and the question last. Nothing else: no member name, id or `metadata.user_id`.
 */
export function buildParams(document: BookDocument, question: string, model: string, maxTokens: number): MessageCreateParamsBase {
  return {
    model,
    max_tokens: maxTokens,
    system: SYSTEM_PROMPT,
    messages: [{ role: 'user', content: [document.block, { type: 'text', text: userQuestion(question) }] }],
  };
}

/** Only citations into our one document, as block ranges; anything else cannot be traced to a record. */
function contentCitations(citations: readonly TextCitation[] | null | undefined): ReplySpan['citations'] {
  const out: ReplySpan['citations'] = [];
  for (const citation of citations ?? []) {
    if (citation.type === 'content_block_location' && citation.document_index === 0) {
      out.push({ start: citation.start_block_index, end: citation.end_block_index });
    }
  }
  return out;
}

function usageOf(usage: Partial<Usage> | null | undefined): TokenUsage {
  return {
    input: usage?.input_tokens ?? 0,
    output: usage?.output_tokens ?? 0,
    cacheCreation: usage?.cache_creation_input_tokens ?? 0,
    cacheRead: usage?.cache_read_input_tokens ?? 0,
  };
}

/** A plain JSON call. */
export async function requestMessage(client: Anthropic, params: MessageCreateParamsBase, signal: AbortSignal, seen: (usage: TokenUsage) => void): Promise<ClaudeReply> {
  const message = await client.messages.create({ ...params, stream: false }, { signal, maxRetries: 0 });
  const usage = usageOf(message.usage);
  seen(usage);
  const spans: ReplySpan[] = [];
  for (const block of message.content) {
    if (block.type === 'text') spans.push({ text: block.text, citations: contentCitations(block.citations) });
  }
  return { spans, stopReason: message.stop_reason, usage };
}

/**
 * A streamed call (SSE), read event by event: text and citations arrive as deltas on text blocks and are
 * reported after each event, so the reply can be shown as it is written. `seen` gets the token counts as
 * they become known, so a call that fails half-way is still charged for what it used. `heard` is told of
 * every event, so a slow answer that keeps arriving is not taken for a silent one (retry.ts).
 */
export async function requestStream(
  client: Anthropic,
  params: MessageCreateParamsBase,
  signal: AbortSignal,
  seen: (usage: TokenUsage) => void,
  onUpdate: (reply: ClaudeReply) => void,
  heard: () => void,
): Promise<ClaudeReply> {
  const stream = await client.messages.create({ ...params, stream: true }, { signal, maxRetries: 0 });
  const spans = new Map<number, ReplySpan>();
  let usage: TokenUsage = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
  let stopReason: string | null = null;
  let stopped = false;
  const snapshot = (): ClaudeReply => ({
    spans: [...spans.entries()].sort(([a], [b]) => a - b).map(([, span]) => ({ text: span.text, citations: [...span.citations] })),
    stopReason,
    usage,
  });
  for await (const event of stream as AsyncIterable<RawMessageStreamEvent>) {
    heard();
    switch (event.type) {
      case 'message_start':
        usage = usageOf(event.message.usage);
        seen(usage);
        break;
      case 'content_block_start':
        if (event.content_block.type === 'text') {
          spans.set(event.index, { text: event.content_block.text, citations: contentCitations(event.content_block.citations) });
        }
        break;
      case 'content_block_delta': {
        const span = spans.get(event.index);
        if (!span) break;
        if (event.delta.type === 'text_delta') span.text += event.delta.text;
        else if (event.delta.type === 'citations_delta') span.citations.push(...contentCitations([event.delta.citation]));
        onUpdate(snapshot());
        break;
      }
      case 'message_delta':
        stopReason = event.delta.stop_reason ?? stopReason;
        usage = {
          input: event.usage.input_tokens ?? usage.input,
          output: event.usage.output_tokens,
          cacheCreation: event.usage.cache_creation_input_tokens ?? usage.cacheCreation,
          cacheRead: event.usage.cache_read_input_tokens ?? usage.cacheRead,
        };
        seen(usage);
        break;
      case 'message_stop':
        stopped = true;
        break;
      default:
        break;
    }
  }
  // An aborted stream ends quietly (the caller knows it timed out); any other early end is a broken connection.
  if (!stopped && !signal.aborted) throw new APIConnectionError({ message: 'The answer stream ended before message_stop.' });
  return snapshot();
}
