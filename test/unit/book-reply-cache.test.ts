import { describe, expect, it } from 'vitest';
import { cachedBookReply, type BookReply } from '../../src/discord/book-reply.js';

const reply = (title: string): BookReply => ({ embeds: [{ title }], components: [] });

describe('cachedBookReply', () => {
  it('builds a reply once per dataset and key, and again for another dataset', () => {
    const book = {};
    const other = {};
    let built = 0;
    const build = () => reply(`built ${++built}`);
    expect(cachedBookReply(book, 'chapter:chapter-1', build)).toBe(cachedBookReply(book, 'chapter:chapter-1', build));
    expect(built).toBe(1);
    expect(cachedBookReply(other, 'chapter:chapter-1', build).embeds[0]?.title).toBe('built 2');
  });

  it('keeps at most `max` replies, dropping the least recently used, and never caches a failure', () => {
    const book = {};
    const builds: string[] = [];
    const get = (key: string) => cachedBookReply(book, key, () => (builds.push(key), reply(key)), 2);
    get('a');
    get('b');
    get('a'); // a is now the most recent
    get('c'); // drops b
    get('a');
    get('b');
    expect(builds).toEqual(['a', 'b', 'c', 'b']);
    const failing = () => cachedBookReply(book, 'nothing', () => {
      throw new Error('no hits');
    });
    expect(failing).toThrow('no hits');
    expect(failing).toThrow('no hits');
  });
});
