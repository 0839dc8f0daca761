import { createHash, randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import type { InteractionHandle, LocalMessage } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * /export end to end: the real bot and discord.js client against the local Discord, reflections seeded in
 * the bot's own (encrypted) store, files read back from what the local Discord received.
 */

const EPHEMERAL = 64;
const clock = fixedClock('2026-03-02T10:00:00.000Z');

// Authors who are not among the local Discord's seeded members: only their reflections' names matter.
const ALICE = '300000000000000001';
const ANON_ONLY = '300000000000000002';
const PRIVATE_ONLY = '300000000000000003';

const HOSTILE = [
  '=HYPERLINK("http://evil.example","click me")',
  '+SUM(1,2)',
  '-1+2',
  '@cmd',
  '\tstarts with a tab',
  '\rstarts with a carriage return',
  'closing </script><script>alert("x")</script> tag',
  '<img src=x onerror="alert(1)"> & <a href="javascript:alert(1)">link</a>',
  '# A heading\n> a quote\n- a list\n    indented code\n[link](http://evil.example) **bold** `code` ||spoiler||',
  '@everyone @here <@200000000000000001> <@&200000000000000002>',
];

interface Seeded {
  id: number;
  text: string;
  visibility: 'private' | 'shared' | 'anonymous';
  authorId: string;
  authorName: string;
  hidden: boolean;
}

describe('/export end to end through the local Discord', () => {
  let h: Harness;
  const seeded: Seeded[] = [];
  let n = 0;

  const write = (authorId: string, authorName: string, text: string, visibility: Seeded['visibility'], extra: { week?: number; chapterId?: string } = {}) => {
    const { reflection } = h.ctx.reflections.create({
      guildId: h.discord.ids.guild,
      authorId,
      authorName,
      text,
      visibility,
      idempotencyKey: `seed-${++n}`,
      source: 'modal',
      week: extra.week ?? null,
      chapterId: extra.chapterId ?? null,
    });
    const row: Seeded = { id: reflection.id, text, visibility, authorId, authorName, hidden: false };
    seeded.push(row);
    return row;
  };
  /** What an export must contain: shared and anonymous, not hidden, by id. */
  const exportable = () => seeded.filter((r) => r.visibility !== 'private' && !r.hidden).sort((a, b) => a.id - b.id);
  /** The number a file shows for a row: none for anonymous ones (a shared post shows it beside the author's name). */
  const shownId = (r: Seeded) => (r.visibility === 'anonymous' ? null : r.id);

  const exportAs = async (options: Record<string, string | number | boolean>, as = 'moderator'): Promise<{ handle: InteractionHandle; messages: LocalMessage[]; files: { name: string; data: Buffer }[] }> => {
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options, as });
    const files = await delivered(handle);
    return { handle, messages: handle.messages(), files };
  };
  /** Waits until the export's file, or its manifest and every part the manifest lists, has arrived. */
  const delivered = (handle: InteractionHandle, timeoutMs = 20_000) =>
    h.discord.waitFor(
      () => {
        const files = handle.messages().flatMap((m) => m.attachments.map((a) => ({ name: a.filename, data: a.data ?? Buffer.alloc(0) })));
        const manifest = files.find((f) => f.name.endsWith('.manifest.json'));
        if (manifest) {
          const names: string[] = JSON.parse(manifest.data.toString('utf8')).parts.map((p: { name: string }) => p.name);
          return names.every((name) => files.some((f) => f.name === name)) ? files : undefined;
        }
        return files.length > 0 && !files.some((f) => /\.part\d+$/.test(f.name)) ? files : undefined;
      },
      { timeoutMs, what: 'the export file' },
    );
  const onlyFile = async (options: Record<string, string | number | boolean>) => {
    const { files, messages } = await exportAs(options);
    expect(files).toHaveLength(1);
    for (const m of messages) expect(m.flags & EPHEMERAL).toBe(EPHEMERAL);
    return files[0]!.data.toString('utf8');
  };

  beforeAll(async () => {
    h = await startHarness({ clock, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    write(ALICE, '=Alice "the reader"', 'A plain shared reflection.\nWith a second line.', 'shared', { week: 1 });
    for (const [i, text] of HOSTILE.entries()) write(ALICE, '=Alice "the reader"', text, i % 2 === 0 ? 'shared' : 'anonymous', { week: (i % 3) + 1 });
    write(ANON_ONLY, 'Quiet <b>Writer</b> @everyone', 'Only ever anonymous.', 'anonymous', { week: 2 });
    write(PRIVATE_ONLY, 'Private Person', 'PRIVATE-SENTINEL never to be exported', 'private', { week: 1 });
    write(ALICE, '=Alice "the reader"', 'ALICE-PRIVATE-SENTINEL', 'private');
    const hidden = write(ALICE, '=Alice "the reader"', 'HIDDEN-SENTINEL reported and hidden', 'shared', { week: 1 });
    h.ctx.reflections.hide(h.discord.ids.guild, hidden.id);
    hidden.hidden = true;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses a member who invokes /export reflections directly, and logs the refusal', async () => {
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'csv', week: 2 }, as: 'member' });
    const reply = await handle.reply();
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.content).toContain('moderator tool');
    expect(reply.attachments).toEqual([]);
    const [entry] = h.ctx.exports.recent(h.discord.ids.guild, 1);
    expect(entry).toMatchObject({ outcome: 'refused', actor: { kind: 'member', id: h.discord.ids.member }, format: 'csv', scope: { week: 2 } });

    const log = await h.discord.interact.chatInput({ name: 'export', subcommand: 'log', as: 'moderator' });
    const shown = h.discord.render(await log.reply());
    expect(shown).toContain('refused');
    expect(shown).toContain(`<@${h.discord.ids.member}>`);
    // The log is a moderator tool too.
    const peek = await h.discord.interact.chatInput({ name: 'export', subcommand: 'log', as: 'member' });
    expect((await peek.reply()).content).toContain('moderator tool');
  });

  it('CSV parses back to the database’s exportable reflections, formulas inert, anonymous ones without author', async () => {
    const text = await onlyFile({ format: 'csv' });
    // One UTF-8 byte-order mark, at the start (Excel reads the file as UTF-8 only with it).
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text.indexOf('\uFEFF', 1)).toBe(-1);
    const records: Record<string, string>[] = parse(text, { columns: true, bom: true });
    const expected = exportable();
    expect(records.map((r) => (r.id === '' ? null : Number(r.id)))).toEqual(expected.map(shownId));
    for (const [i, record] of records.entries()) {
      const want = expected[i]!;
      expect(record.text).toBe(/^[=+\-@\t\r]/.test(want.text) ? `'${want.text}` : want.text);
      expect(record.visibility).toBe(want.visibility);
      if (want.visibility === 'anonymous') expect([record.author_id, record.author_name]).toEqual(['', '']);
      else expect([record.author_id, record.author_name]).toEqual([ALICE, `'${want.authorName}`]);
      for (const cell of Object.values(record)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(text).not.toContain('SENTINEL');
    expect(text).not.toContain(ANON_ONLY);
    expect(text).not.toContain('Quiet');
  });

  it('JSON parses back to the database’s exportable reflections', async () => {
    const doc = JSON.parse(await onlyFile({ format: 'json' }));
    const expected = exportable();
    expect(doc).toMatchObject({ format: 'reading-circle/reflections', version: 2, guildId: h.discord.ids.guild, count: expected.length });
    expect(doc.reflections.map((r: { id: number | null }) => r.id)).toEqual(expected.map(shownId));
    for (const [i, entry] of doc.reflections.entries()) {
      const want = expected[i]!;
      expect(entry.text).toBe(want.text);
      expect(entry.visibility).toBe(want.visibility);
      expect(new Date(entry.createdAt).toISOString()).toBe(entry.createdAt);
      expect([entry.authorId, entry.authorName]).toEqual(want.visibility === 'anonymous' ? [null, null] : [ALICE, want.authorName]);
    }
    const raw = JSON.stringify(doc);
    expect(raw).not.toContain('SENTINEL');
    expect(raw).not.toContain(ANON_ONLY);
    expect(raw).not.toContain('Quiet');
  });

  it('HTML is one self-contained page with no markup from member text', async () => {
    const text = await onlyFile({ format: 'html' });
    const tags = new Set([...text.matchAll(/<\/?([a-zA-Z0-9!]+)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(['!doctype', 'article', 'body', 'h1', 'h2', 'head', 'header', 'html', 'meta', 'p', 'section', 'strong', 'style', 'time', 'title']);
    expect(text).not.toMatch(/<script|<img|<a\s/i);
    expect(text).toContain('closing &lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; tag');
    for (const r of exportable()) expect(text).toContain(r.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    expect(text).not.toContain('SENTINEL');
    expect(text).not.toContain('Quiet');
  });

  it('Markdown is readable (prompt headings, "A member", dates) with member Markdown and mentions escaped', async () => {
    const text = await onlyFile({});
    expect(text).toMatch(/^# Reflections/);
    expect(text).toContain('## Week 1');
    expect(text).toContain('**A member** · 2026-03-02');
    expect(text).toContain('**\\=Alice "the reader"** · 2026-03-02');
    expect(text).toContain('\\# A heading');
    expect(text).toContain('\\[link\\](http://evil.example)');
    expect(text).toContain('\\@everyone');
    expect(text).not.toMatch(/(^|[^\\])@everyone/);
    expect(text).not.toMatch(/(^|[^\\])<\/?script/);
    expect(text).not.toContain('SENTINEL');
    expect(text).not.toContain('Quiet');
  });

  it('never pings and keeps every reply ephemeral', async () => {
    await onlyFile({ format: 'json', pseudonymise: true });
    const writes = h.discord.messageWrites().filter((r) => r.path.includes('/webhooks/') || r.path.includes('/interactions/'));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      const body = w.body as { allowed_mentions?: { parse?: unknown[] }; data?: { allowed_mentions?: { parse?: unknown[] } } } | undefined;
      const mentions = body?.allowed_mentions ?? body?.data?.allowed_mentions;
      if (mentions) expect(mentions.parse).toEqual([]);
    }
  });

  it('splits above the interaction’s upload limit into parts that concatenate to the whole, with a manifest', async () => {
    const limit = 1500;
    h.discord.attachmentSizeLimit = limit;
    try {
      const { files, messages } = await exportAs({ format: 'json' });
      const manifestFile = files.find((f) => f.name.endsWith('.manifest.json'));
      expect(manifestFile).toBeDefined();
      const manifest = JSON.parse(manifestFile!.data.toString('utf8'));
      const parts = manifest.parts.map((p: { name: string }) => files.find((f) => f.name === p.name)!);
      expect(parts.length).toBeGreaterThan(1);
      expect(files).toHaveLength(parts.length + 1);
      for (const part of parts) expect(part.data.length).toBeLessThanOrEqual(limit);
      const whole = Buffer.concat(parts.map((p: { data: Buffer }) => p.data));
      expect(createHash('sha256').update(whole).digest('hex')).toBe(manifest.sha256);
      const doc = JSON.parse(whole.toString('utf8'));
      expect(doc.reflections.map((r: { id: number | null }) => r.id)).toEqual(exportable().map(shownId));
      for (const m of messages) expect(m.flags & EPHEMERAL).toBe(EPHEMERAL);
      // The local Discord refused nothing: every part was within the limit.
      expect(h.discord.requests.filter((r) => r.status === 413)).toEqual([]);
    } finally {
      h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    }
  });

  it('since-last returns exactly the reflections that became exportable after the previous export', async () => {
    clock.advance(60_000);
    await onlyFile({ format: 'json' });
    clock.advance(60_000);
    const fresh = write(ALICE, '=Alice "the reader"', 'written after the export', 'shared', { week: 3 });
    const madeShared = seeded.find((r) => r.text === 'ALICE-PRIVATE-SENTINEL')!;
    h.ctx.reflections.setVisibility(h.discord.ids.guild, ALICE, madeShared.id, 'anonymous');
    madeShared.visibility = 'anonymous';
    clock.advance(60_000);
    const doc = JSON.parse(await onlyFile({ format: 'json', 'since-last': true }));
    expect(doc.reflections.map((r: { text: string }) => r.text).sort()).toEqual([madeShared.text, fresh.text].sort());
    expect(doc.reflections.find((r: { text: string }) => r.text === madeShared.text)).toMatchObject({ id: null, authorId: null, authorName: null });
    clock.advance(60_000);
    expect(JSON.parse(await onlyFile({ format: 'json', 'since-last': true })).reflections).toEqual([]);
  });

  it('an export narrowed to a week does not move since-last past reflections of other weeks it left out', async () => {
    clock.advance(60_000);
    await onlyFile({ format: 'json', 'since-last': true });
    clock.advance(60_000);
    const inWeek1 = write(ALICE, '=Alice "the reader"', 'new in week one', 'shared', { week: 1 });
    const inWeek2 = write(ALICE, '=Alice "the reader"', 'new in week two', 'shared', { week: 2 });
    clock.advance(60_000);
    // Another moderator looks at week 1 alone.
    expect(JSON.parse(await onlyFile({ format: 'json', week: 1 })).reflections.map((r: { text: string }) => r.text)).toContain(inWeek1.text);
    clock.advance(60_000);
    // The weekly since-last export still gets everything no since-last export has delivered yet.
    const doc = JSON.parse(await onlyFile({ format: 'json', 'since-last': true }));
    expect(doc.reflections.map((r: { text: string }) => r.text).sort()).toEqual([inWeek1.text, inWeek2.text].sort());
    clock.advance(60_000);
    expect(JSON.parse(await onlyFile({ format: 'json', 'since-last': true })).reflections).toEqual([]);
  });

  it('forget-me (through /reflections forget-me) removes the member’s id from the export scopes logged', async () => {
    const memberId = h.discord.ids.member;
    const mine = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'shared' }, as: 'member' });
    await (await h.discord.interact.modalSubmit({ modal: mine, values: ['Mine to take back.'] })).reply();
    const doc = JSON.parse(await onlyFile({ format: 'json', member: memberId }));
    expect(doc.reflections.map((r: { authorId: string }) => r.authorId)).toEqual([memberId]);
    const scopeMembers = () => h.ctx.exports.recent(h.discord.ids.guild, 50).map((e) => e.scope.memberId);
    expect(scopeMembers()).toContain(memberId);

    const ask = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'forget-me', as: 'member' });
    const prompt = await ask.reply();
    const erased = await h.discord.interact.button({ message: prompt, component: 'reflections-forget', as: 'member' });
    await erased.reply();
    await h.discord.waitFor(() => !scopeMembers().includes(memberId) || undefined, { what: 'the member gone from the export scopes' });
    const entries = h.ctx.exports.recent(h.discord.ids.guild, 50);
    expect(entries.some((e) => e.memberForgotten && e.scope.memberId === null)).toBe(true);
    // Who ran or attempted an export is the audit trail and stays; only the scopes stop naming the member.
    expect(entries.filter((e) => e.outcome === 'refused').map((e) => e.actor.id)).toContain(memberId);
  });

  it('a reflection written through the bot while a large export runs is stored, and the export completes', async () => {
    const guildId = h.discord.ids.guild;
    const bulk = h.ctx.db.transaction(() => {
      for (let i = 0; i < 12_000; i += 1) {
        h.ctx.reflections.create({ guildId, authorId: ALICE, authorName: 'Alice', text: `bulk reflection ${i} `.repeat(5), visibility: 'shared', idempotencyKey: `bulk-${i}`, source: 'modal' });
      }
    });
    bulk();
    clock.advance(60_000);
    const exporting = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'csv' }, as: 'moderator' });
    const reflect = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'private' }, as: 'member', timeoutMs: 20_000 });
    expect(reflect.modal).toBeDefined();
    const saved = await h.discord.interact.modalSubmit({ modal: reflect, values: ['Written while the export ran.'], timeoutMs: 20_000 });
    const confirmation = await saved.reply({ timeoutMs: 20_000 });
    expect(confirmation.content).toContain('Saved your reflection');
    const id = Number(/#(\d+)/.exec(confirmation.content)![1]);
    expect(h.ctx.reflections.get(guildId, h.discord.ids.member, id).text).toBe('Written while the export ran.');

    const [file] = await delivered(exporting, 60_000);
    const records: unknown[] = parse(file!.data, { columns: true });
    expect(records.length).toBe(exportable().length + 12_000);
    // The member's write was answered before the export's file went out: it did not wait for the export.
    const fileSent = h.discord.requests.find((r) => r.path.includes(exporting.token) && r.files.length > 0)!;
    const savedAt = h.discord.requests.find((r) => r.path.includes(saved.id) && r.path.endsWith('/callback'))!;
    expect(savedAt.seq).toBeLessThan(fileSent.seq);
  }, 120_000);
});
