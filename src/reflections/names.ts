import type { ReflectionCipher, RowBinding, Sealed } from './crypto.js';
import type { NameScope } from './repo.js';

/** Where a display name is sealed: the row it belongs to, and whether it is bound to that row or to its author. */
export interface NamedRow {
  guildId: string;
  authorId: string;
  id: number;
  nameScope: NameScope;
}

/**
 * The associated data of a row's sealed display name (migration 0007). A member-scoped name is bound to its
 * server and author, so the author's rows can share one ciphertext; it still cannot be moved to another
 * member's or server's row. A distinct purpose keeps the two kinds from ever sharing associated data.
 */
export function nameBinding(row: NamedRow): RowBinding {
  return row.nameScope === 'member' ? memberNameBinding(row.guildId, row.authorId) : { purpose: 'name', guildId: row.guildId, authorId: row.authorId, rowId: row.id };
}

const memberNameBinding = (guildId: string, authorId: string): RowBinding => ({ purpose: 'member-name', guildId, authorId, rowId: '' });

/** Enough members for a busy server; past it the memory starts again from nothing (only a reseal is lost). */
const MAX_REMEMBERED = 10_000;

/**
 * Seals display names for new and re-encrypted rows, member-scoped. The last sealed name of each member is
 * kept (in this process only) and reused while the member writes under the same name and key: identical
 * bytes for identical plaintext, associated data and IV, so no IV is ever used for two different values.
 */
export class MemberNameSeals {
  readonly #cipher: ReflectionCipher;
  readonly #last = new Map<string, { name: string; sealed: Sealed }>();

  constructor(cipher: ReflectionCipher) {
    this.#cipher = cipher;
  }

  seal(guildId: string, authorId: string, name: string): Sealed {
    const member = memberKey(guildId, authorId);
    const last = this.#last.get(member);
    if (last && last.name === name && last.sealed.keyId === this.#cipher.currentKeyId) return last.sealed;
    const sealed = this.#cipher.seal(name, memberNameBinding(guildId, authorId));
    if (this.#last.size >= MAX_REMEMBERED) this.#last.clear();
    this.#last.set(member, { name, sealed });
    return sealed;
  }

  /** Drops what is remembered of a member (forget-me), or of a whole server. */
  forget(guildId: string, authorId?: string): void {
    if (authorId !== undefined) {
      this.#last.delete(memberKey(guildId, authorId));
      return;
    }
    const prefix = memberKey(guildId, '');
    for (const member of this.#last.keys()) if (member.startsWith(prefix)) this.#last.delete(member);
  }
}

const memberKey = (guildId: string, authorId: string) => `${guildId}\u0000${authorId}`;

/**
 * Opens the display names of one export's rows, each distinct member-scoped ciphertext once: the same bytes
 * under the same key, IV and binding always open to the same name. Row-scoped names (each its own
 * ciphertext) are opened every time.
 */
export class NameOpener {
  readonly #cipher: ReflectionCipher;
  readonly #opened = new Map<string, string>();

  constructor(cipher: ReflectionCipher) {
    this.#cipher = cipher;
  }

  /** The name sealed in `row` (under the row's key), its IV and ciphertext given in hex as the export's read returns them. */
  openHex(row: NamedRow & { keyId: string }, ivHex: string, dataHex: string): string {
    if (row.nameScope !== 'member') return this.#openSealed(row, ivHex, dataHex);
    const identity = `${row.guildId}\u0000${row.authorId}\u0000${row.keyId}\u0000${ivHex}\u0000${dataHex}`;
    let name = this.#opened.get(identity);
    if (name === undefined) {
      name = this.#openSealed(row, ivHex, dataHex);
      if (this.#opened.size >= MAX_REMEMBERED) this.#opened.clear();
      this.#opened.set(identity, name);
    }
    return name;
  }

  #openSealed(row: NamedRow & { keyId: string }, ivHex: string, dataHex: string): string {
    return this.#cipher.open({ keyId: row.keyId, iv: Buffer.from(ivHex, 'hex'), data: Buffer.from(dataHex, 'hex') }, nameBinding(row));
  }
}
