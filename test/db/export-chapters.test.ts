import { describe, expect, it } from 'vitest';
import { loadBookSync } from '../../src/book/service.js';
import { chaptersFromBook } from '../../src/export/chapters.js';
import { createExportLogRepo } from '../../src/export/log-repo.js';
import { createExportService } from '../../src/export/service.js';
import { EVERYTHING } from '../../src/export/types.js';
import { UserFacingError } from '../../src/errors.js';
import { capturedLogger } from '../helpers/logs.js';
import { ALICE, GUILD, makeService, weeksOf } from './reflections-helpers.js';
import { openExportDb } from './export-helpers.js';

const book = loadBookSync('data/when-hurt-remains.json');

describe('chapters in exports, from the book dataset', () => {
  it('labels chapters as the book does and resolves what a moderator types', () => {
    const chapters = chaptersFromBook(book);
    const first = book.chapters()[0]!;
    expect(chapters.label(first.id)).toBe(book.chapterLabel(first));
    expect(chapters.label('no-such-chapter')).toBeNull();
    expect(chapters.resolve(first.id)).toBe(first.id);
    expect(chapters.resolve(`chapter ${first.number}`)).toBe(first.id);
    expect(chapters.resolve('zzzz no chapter like this')).toBeNull();
  });

  it('filters an export by chapter, shows the label, and refuses an unknown chapter kindly', async () => {
    const [one, two] = book.chapters();
    const env = makeService({ db: openExportDb(), weeks: weeksOf([]) });
    const exports = createExportService({ source: env.service, weeks: weeksOf([]), chapters: chaptersFromBook(book), logRepo: createExportLogRepo(env.db), clock: env.clock, log: capturedLogger().log });
    const onOne = env.write(ALICE, 'on chapter one', { visibility: 'shared', chapterId: one!.id });
    env.write(ALICE, 'on chapter two', { visibility: 'shared', chapterId: two!.id });
    const scope = exports.parseScope({ chapter: `chapter ${one!.number}` });
    expect(scope).toEqual({ ...EVERYTHING, chapterId: one!.id });
    const plan = exports.plan({ guildId: GUILD, guildName: null, actor: { kind: 'member', id: ALICE, label: null }, format: 'json', scope, pseudonymise: false });
    const produced = await exports.produce(plan, 1 << 20);
    const doc = JSON.parse(produced.split.files[0]!.data.toString('utf8'));
    expect(doc.reflections.map((r: { id: number; chapter: string }) => [r.id, r.chapter])).toEqual([[onOne.id, book.chapterLabel(one!)]]);
    expect(() => exports.parseScope({ chapter: 'zzzz no chapter like this' })).toThrow(UserFacingError);
  });

  it('words an unknown chapter and a bad member for where they were typed: Discord’s picker, or the shell', () => {
    const env = makeService({ db: openExportDb() });
    const exports = createExportService({ source: env.service, weeks: weeksOf([]), chapters: chaptersFromBook(book), logRepo: createExportLogRepo(env.db), clock: env.clock, log: capturedLogger().log });
    const message = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(UserFacingError);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(message(() => exports.parseScope({ chapter: 'zzzz' }))).toContain('Pick one from the list as you type');
    expect(message(() => exports.parseScope({ chapter: 'zzzz' }, 'shell'))).not.toContain('as you type');
    expect(message(() => exports.parseScope({ memberId: 'someone' }))).toContain('member');
    const shellMember = message(() => exports.parseScope({ memberId: 'someone' }, 'shell'));
    expect(shellMember).toContain('user id');
    expect(shellMember).not.toContain('member of this server');
  });

  it('checks dates and weeks and says what is wrong', () => {
    const env = makeService({ db: openExportDb() });
    const exports = createExportService({ source: env.service, weeks: weeksOf([]), logRepo: createExportLogRepo(env.db), clock: env.clock, log: capturedLogger().log });
    expect(() => exports.parseScope({ from: '2026-02-30' })).toThrow(/YYYY-MM-DD/);
    expect(() => exports.parseScope({ from: '2026-03-05', to: '2026-03-01' })).toThrow(/after/);
    expect(() => exports.parseScope({ week: 0 })).toThrow(/plan week/);
    expect(() => exports.parseScope({ memberId: 'someone' })).toThrow(/member/);
    expect(exports.parseScope({ from: '2026-03-01', to: '2026-03-01', week: 2, sinceLast: true })).toEqual({ ...EVERYTHING, from: '2026-03-01', to: '2026-03-01', week: 2, sinceLast: true });
  });
});
