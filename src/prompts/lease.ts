import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemTimers, type Clock, type Timers } from '../clock.js';
import type { Db } from '../db/connection.js';
import type { Logger } from '../logger.js';

/**
 * The single-instance lease: a row in SQLite naming the one process that may talk to Discord. Taken and
 * renewed in immediate transactions, so two processes on one database file never both hold it. A holder
 * that stops renewing (crash, kill -9, frozen VM) loses it when `expires_at` passes, and a waiting copy
 * takes over.
 */

export const DISCORD_LEASE = 'discord';

export interface LeaseRow {
  name: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

export interface LeaseRepo {
  /** Takes the lease, or renews it when this holder has it. False while someone else's lease is unexpired. */
  tryAcquire(name: string, holder: string, now: Date, ttlMs: number): boolean;
  release(name: string, holder: string): boolean;
  get(name: string): LeaseRow | null;
  /** Takes the lease from `from`, whatever its expiry, if `from` still holds it. */
  takeOver(name: string, from: string, holder: string, now: Date, ttlMs: number): boolean;
}

export function createLeaseRepo(db: Db): LeaseRepo {
  const select = db.prepare('SELECT name, holder, acquired_at AS acquiredAt, expires_at AS expiresAt FROM leases WHERE name = ?');
  const upsert = db.prepare(`
    INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (@name, @holder, @now, @expiresAt)
    ON CONFLICT(name) DO UPDATE SET
      holder = excluded.holder,
      acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
      expires_at = excluded.expires_at
    WHERE leases.holder = excluded.holder OR leases.expires_at <= @now`);
  const del = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
  const steal = db.prepare(
    'UPDATE leases SET holder = @holder, acquired_at = @now, expires_at = @expiresAt WHERE name = @name AND holder = @from',
  );
  const tryAcquire = db.transaction((name: string, holder: string, now: Date, ttlMs: number) => {
    const result = upsert.run({ name, holder, now: now.toISOString(), expiresAt: new Date(now.getTime() + ttlMs).toISOString() });
    return result.changes > 0;
  });
  return {
    tryAcquire: (name, holder, now, ttlMs) => tryAcquire.immediate(name, holder, now, ttlMs),
    release: (name, holder) => del.run(name, holder).changes > 0,
    get: (name) => (select.get(name) as LeaseRow | undefined) ?? null,
    takeOver: (name, from, holder, now, ttlMs) =>
      steal.run({ name, from, holder, now: now.toISOString(), expiresAt: new Date(now.getTime() + ttlMs).toISOString() }).changes > 0,
  };
}

export function newHolderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Whether a process id names a live process on this machine. */
export type ProcessProbe = (pid: number) => boolean;

export const probeProcess: ProcessProbe = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A holder recorded by a process of this machine that no longer runs (killed with SIGKILL, crashed): the
 * lease is certainly stale, and a restarted bot need not wait out its TTL. SQLite is shared on one host
 * only, so the host name and process id are meaningful.
 */
export function isDeadLocalHolder(holder: string, probe: ProcessProbe = probeProcess): boolean {
  const match = /^(.*):(\d+):[0-9a-f]{8}$/.exec(holder);
  if (!match || match[1] !== hostname()) return false;
  return !probe(Number(match[2]));
}

export interface HeldLease {
  holder: string;
  /** Resolves if the lease is lost (another process took it after this one failed to renew in time). */
  lost: Promise<void>;
  /** Stops renewing and gives the lease up, so a waiting copy takes over at once. */
  release(): void;
}

export interface LeaseOptions {
  repo: LeaseRepo;
  name?: string;
  holder?: string;
  ttlMs: number;
  clock: Clock;
  timers?: Timers;
  log: Logger;
  /** Stops waiting (shutdown before the lease was ever held). */
  signal?: AbortSignal;
  /** Tells whether a local process still runs (tests inject one). */
  probe?: ProcessProbe;
  /**
   * False: reject with a LeaseHeldError when a live copy holds the lease, instead of waiting for it (the
   * playground, which must not stand by silently behind a running bot). True by default: a second copy of
   * the bot waits, and takes over when the first stops.
   */
  wait?: boolean;
}

/** Another live copy holds the lease, and the caller asked not to wait (LeaseOptions.wait). */
export class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  constructor(readonly current: LeaseRow) {
    super(`another copy of the bot holds the single-instance lease (${current.holder}, until ${current.expiresAt})`);
  }
}

/**
 * Waits until this process holds the lease (re-trying every TTL/3), then keeps renewing it every TTL/3.
 * Rejects with an AbortError if the signal fires while waiting.
 */
export function holdLease(options: LeaseOptions): Promise<HeldLease> {
  const { repo, ttlMs, clock, log } = options;
  const name = options.name ?? DISCORD_LEASE;
  const holder = options.holder ?? newHolderId();
  const timers = options.timers ?? systemTimers;
  const every = Math.max(1, Math.floor(ttlMs / 3));

  return new Promise<HeldLease>((resolve, reject) => {
    let waitingLogged = false;
    let handle: unknown;
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(Object.assign(new Error('stopped while waiting for the lease'), { name: 'AbortError' }));
    };
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const attempt = () => {
      let acquired = false;
      // The live holder in the way, when the lease was read and found taken (not when reading it failed).
      let heldBy: LeaseRow | null = null;
      try {
        acquired = repo.tryAcquire(name, holder, clock.now(), ttlMs);
        const current = acquired ? null : repo.get(name);
        if (current && isDeadLocalHolder(current.holder, options.probe)) {
          acquired = repo.takeOver(name, current.holder, holder, clock.now(), ttlMs);
          if (acquired) log.info({ previous: current.holder }, 'the previous holder of the lease is no longer running on this machine; taking over');
        }
        if (!acquired) heldBy = repo.get(name);
      } catch (error) {
        log.warn({ err: error }, 'could not check the lease; trying again');
      }
      if (!acquired && heldBy && options.wait === false) {
        options.signal?.removeEventListener('abort', onAbort);
        reject(new LeaseHeldError(heldBy));
        return;
      }
      if (!acquired) {
        if (!waitingLogged) {
          const current = repo.get(name);
          log.info({ holder: current?.holder, until: current?.expiresAt }, 'another copy of the bot is running on this database; waiting for its lease to expire');
          waitingLogged = true;
        }
        handle = timers.setTimeout(attempt, every);
        return;
      }
      options.signal?.removeEventListener('abort', onAbort);
      log.info({ holder, ttlMs }, 'holding the single-instance lease');
      resolve(keep());
    };

    const keep = (): HeldLease => {
      let released = false;
      let renewHandle: unknown;
      let markLost: () => void = () => undefined;
      const lost = new Promise<void>((resolveLost) => {
        markLost = resolveLost;
      });
      const renew = () => {
        if (released) return;
        let ok: boolean;
        try {
          ok = repo.tryAcquire(name, holder, clock.now(), ttlMs);
        } catch (error) {
          log.warn({ err: error }, 'could not renew the lease; trying again');
          renewHandle = timers.setTimeout(renew, every);
          return;
        }
        if (!ok) {
          released = true;
          log.error({ holder, now: repo.get(name) }, 'the single-instance lease was taken over by another copy; stopping');
          markLost();
          return;
        }
        renewHandle = timers.setTimeout(renew, every);
      };
      renewHandle = timers.setTimeout(renew, every);
      return {
        holder,
        lost,
        release() {
          if (released) return;
          released = true;
          timers.clearTimeout(renewHandle);
          try {
            repo.release(name, holder);
          } catch (error) {
            log.warn({ err: error }, 'could not release the lease; it will expire by itself');
          }
        },
      };
    };

    attempt();
  });
}
