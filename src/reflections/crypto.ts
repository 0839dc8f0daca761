import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto';

/** What a cipher needs to know about a row: who it belongs to, so a ciphertext cannot be moved to another row. */
export interface RowBinding {
  /** `name`: a display name bound to its row; `member-name`: one bound to its server and author (rowId ''). */
  purpose: 'body' | 'name' | 'member-name' | 'canary';
  guildId: string;
  authorId: string;
  rowId: number | string;
}

export interface Sealed {
  keyId: string;
  iv: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  data: Buffer;
}

export class ReflectionKeyError extends Error {
  override readonly name = 'ReflectionKeyError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs for about 340 values per refill. */
const IV_POOL_BYTES = 4096;

/**
 * Fresh random IVs, drawn from a buffer filled from the CSPRNG a few KB at a time: asking the CSPRNG for 12
 * bytes per value cost about as much as the AES itself on the durable write path. Every byte is handed out
 * once, as a copy, so an IV never shares memory with the pool or with another IV.
 */
class IvPool {
  readonly #pool = Buffer.alloc(IV_POOL_BYTES);
  #next = IV_POOL_BYTES;

  take(): Buffer {
    if (this.#next + IV_BYTES > IV_POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#next = 0;
    }
    const iv = Buffer.from(this.#pool.subarray(this.#next, this.#next + IV_BYTES));
    this.#next += IV_BYTES;
    return iv;
  }
}

/** A key's public name: an HMAC of a fixed label under the key, so it identifies the key without revealing it. */
export function keyIdOf(key: Buffer): string {
  return `k1-${createHmac('sha256', key).update('reading-circle reflections key id').digest('hex').slice(0, 16)}`;
}

export function parseHexKey(hex: string, where: string): Buffer {
  const trimmed = hex.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    throw new ReflectionKeyError(`${where} is not a reflections key: expected 32 bytes written as 64 hexadecimal characters.`);
  }
  return Buffer.from(trimmed, 'hex');
}

function aad(binding: RowBinding): Buffer {
  // Lengths first so that no two different bindings can produce the same bytes. Built as one string: an export
  // builds two of these per row.
  const { purpose, guildId, authorId } = binding;
  const rowId = String(binding.rowId);
  return Buffer.from(`${purpose.length}:${purpose}|${guildId.length}:${guildId}|${authorId.length}:${authorId}|${rowId.length}:${rowId}`, 'utf8');
}

/**
 * AES-256-GCM with a fresh random IV for every value, the row's server, author and id as associated data,
 * and the key id stored beside each value so old rows stay readable after the key is rotated.
 */
export class ReflectionCipher {
  readonly currentKeyId: string;
  readonly #keys: Map<string, Buffer>;
  readonly #current: Buffer;
  readonly #ivs = new IvPool();

  /** `current` encrypts; `previous` keys only decrypt rows written before a rotation. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    if (current.length !== 32) throw new ReflectionKeyError('A reflections key must be 32 bytes.');
    this.#current = current;
    this.currentKeyId = keyIdOf(current);
    this.#keys = new Map([[this.currentKeyId, current]]);
    for (const key of previous) {
      if (key.length !== 32) throw new ReflectionKeyError('A reflections key must be 32 bytes.');
      if (!this.#keys.has(keyIdOf(key))) this.#keys.set(keyIdOf(key), key);
    }
  }

  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  seal(plaintext: string, binding: RowBinding): Sealed {
    const iv = this.#ivs.take();
    const cipher = createCipheriv('aes-256-gcm', this.#current, iv);
    cipher.setAAD(aad(binding));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { keyId: this.currentKeyId, iv, data };
  }

  /** Throws when the key is unknown or the data, IV or binding do not match what was sealed. */
  open(sealed: Sealed, binding: RowBinding): string {
    const key = this.#keys.get(sealed.keyId);
    if (!key) throw new ReflectionKeyError(`No reflections key with id ${sealed.keyId} is configured.`);
    if (sealed.data.length < TAG_BYTES) throw new ReflectionKeyError('A stored reflection is damaged (too short).');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
    decipher.setAAD(aad(binding));
    decipher.setAuthTag(sealed.data.subarray(sealed.data.length - TAG_BYTES));
    try {
      const head = decipher.update(sealed.data.subarray(0, sealed.data.length - TAG_BYTES));
      // The tag is checked here, before anything decrypted is used. GCM is a stream mode, so `final` adds no
      // bytes, and the copy into one buffer is skipped (an export opens every reflection).
      const tail = decipher.final();
      return (tail.length === 0 ? head : Buffer.concat([head, tail])).toString('utf8');
    } catch {
      throw new ReflectionKeyError(`A stored value could not be decrypted with key ${sealed.keyId}: wrong key or damaged data.`);
    }
  }
}
